#!/usr/bin/env bash
# Builds the Dockerfile with a real engine (rootful podman + runc) and runs the image the way the
# chart does: read-only root filesystem, every capability dropped, no privilege escalation, as UID
# 65534. Checks --version, `s3-export --help`, and that --demo serves /metrics on a published
# loopback port. Every container it starts is removed on exit; the image too (KCI_KEEP_IMAGE=1
# keeps it). Prints SKIP and exits 0 only when no container engine can be installed.
# Usage: bash tests/container/run.sh [SOURCE_DIR]
#        KCI_IMAGE=IMAGE bash tests/container/run.sh   runs the checks on IMAGE, building nothing
#                                                      (for working on the checks themselves)
set -euo pipefail
src=$(cd "${1:-$(dirname "$0")/../..}" && pwd)
cd "$src"

checks=0
pass() { checks=$((checks + 1)); echo "ok $checks - $*"; }
fail() { echo "FAIL: $*" >&2; exit 1; }

# --- the engine -------------------------------------------------------------------------------
# podman; runc as its runtime (apt's first choice is crun, known to fail on this host's hybrid
# cgroup v1/v2 setup; not re-tried here, since installing it would change the runtime of every
# podman user on the machine); netavark + iptables for the published port; debootstrap for the
# base image when no registry is reachable; curl for /metrics.
packages=(podman runc netavark iptables debootstrap curl)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "container: installing ${missing[*]}"
  if ! { [ "$(id -u)" -eq 0 ] && timeout 300 apt-get update -qq &&
         DEBIAN_FRONTEND=noninteractive timeout 600 apt-get install -y -qq \
           --no-install-recommends "${missing[@]}" >/dev/null; }; then
    command -v podman >/dev/null || { echo "SKIP: no container engine: could not install ${missing[*]} (apt-get as root)"; exit 0; }
    echo "container: could not install ${missing[*]}; going on with the podman already installed"
  fi
fi
command -v podman >/dev/null || { echo "SKIP: no container engine (podman) available"; exit 0; }
[ "$(id -u)" -eq 0 ] || fail "needs root: rootful podman (the checks read the container's process on the host)"

# The minimal set of settings this host needs, found by trying:
# - --runtime: runc explicitly, never crun (see above), whichever podman would pick;
# - --ulimit on `run` only: podman raises nofile and nproc above this host's hard limits by
#   default, and runc then fails with "error setting rlimits for ready process: error setting
#   rlimit type 7 (then 6): operation not permitted"; `build` gives its RUN steps the host's
#   limits and needs nothing.
# cgroupfs and the file events backend are what podman already picks without systemd, native
# overlay storage works on ext4, and the default network (netavark) serves both apt-get in the
# build and the published port, so none of those is set.
runtime=/usr/sbin/runc
[ -x "$runtime" ] || runtime=$(command -v runc) || fail "runc is not installed"
podman=(podman --runtime "$runtime")
ulimits=(--ulimit nofile=1024:4096 --ulimit nproc=1024:4096)

image=${KCI_IMAGE:-localhost/kci-allocation-exporter:test-$$}
containers=()
workdir=$(mktemp -d /var/tmp/kci-container-test.XXXXXX)
cleanup() {
  local rc=$?
  for c in "${containers[@]}"; do
    timeout 60 "${podman[@]}" rm -f -t 0 "$c" >/dev/null 2>&1 || echo "container: could not remove $c" >&2
  done
  if [ "${KCI_KEEP_IMAGE:-0}" != 1 ] && [ -z "${KCI_IMAGE:-}" ]; then
    timeout 60 "${podman[@]}" rmi -f "$image" >/dev/null 2>&1 || true
  fi
  rm -rf "$workdir"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- the debian:bookworm base -----------------------------------------------------------------
# With no registry reachable, debootstrap (minbase) builds it from the host's own Debian mirror,
# and the image's sources.list names that mirror (plus -updates and -security where the host
# has them and they answer), so apt-get works inside the build. Built once, then reused.
host_sources() {  # "URI SUITE COMPONENTS..." for every bookworm* deb entry apt reads
  /usr/bin/python3 - <<'EOF'
import glob, re
lines = []
for path in ["/etc/apt/sources.list"] + sorted(glob.glob("/etc/apt/sources.list.d/*.list")):
    try:
        text = open(path).read()
    except OSError:
        continue
    for line in text.splitlines():
        line = re.sub(r"\[[^]]*\]", " ", line.split("#", 1)[0]).split()
        if len(line) >= 4 and line[0] == "deb":
            lines.append((line[1], line[2], line[3:]))
for path in sorted(glob.glob("/etc/apt/sources.list.d/*.sources")):
    for stanza in re.split(r"\n\s*\n", open(path).read()):
        fields = {}
        for line in stanza.splitlines():
            if line.startswith("#") or ":" not in line:
                continue
            key, value = line.split(":", 1)
            fields[key.strip().lower()] = value.split()
        if "deb" not in fields.get("types", []) or fields.get("enabled", ["yes"])[0] == "no":
            continue
        for uri in fields.get("uris", []):
            for suite in fields.get("suites", []):
                lines.append((uri, suite, fields.get("components", ["main"])))
seen = set()
for uri, suite, comps in lines:
    if re.fullmatch(r"bookworm(-updates|-security|/updates)?", suite) and (uri, suite) not in seen:
        seen.add((uri, suite))
        print(uri.rstrip("/"), suite, " ".join(comps))
EOF
}
reachable() { curl -fsS -o /dev/null --max-time 15 "$1/dists/$2/InRelease"; }

prepare_base() {
  local mirror="" list="" uri suite comps
  while read -r uri suite comps; do
    if ! reachable "$uri" "$suite"; then
      echo "container: $uri $suite does not answer: left out of the base image's sources.list"
      continue
    fi
    [ "$suite" = bookworm ] && [ -z "$mirror" ] && mirror=$uri
    list+="deb $uri $suite $comps"$'\n'
  done < <(host_sources)
  if [ -z "$mirror" ]; then
    mirror=http://deb.debian.org/debian
    reachable "$mirror" bookworm || fail "no reachable Debian bookworm mirror"
    list="deb $mirror bookworm main"$'\n'$list
  fi
  echo "container: debootstrap --variant=minbase bookworm from $mirror (a few minutes, once)"
  local rootfs=$workdir/rootfs
  timeout 1200 debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >"$workdir/debootstrap.log" 2>&1 ||
    { tail -20 "$workdir/debootstrap.log" >&2; fail "debootstrap failed"; }
  # Everything below edits the new tree: never run it on anything but a tree debootstrap made.
  if [ ! -f "$rootfs/etc/debian_version" ] || [ "$(realpath "$rootfs")" != "$(realpath "$workdir")/rootfs" ]; then
    fail "debootstrap left no tree at $rootfs"
  fi
  printf '%s' "$list" >"${rootfs:?}/etc/apt/sources.list"
  echo "container: base image sources.list:"; sed 's/^/  /' "${rootfs:?}/etc/apt/sources.list"
  # As in Debian's official images (debuerreotype): apt keeps no package caches.
  printf '%s\n' \
    'DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };' \
    'APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };' \
    'Dir::Cache::pkgcache "";' 'Dir::Cache::srcpkgcache "";' >"${rootfs:?}/etc/apt/apt.conf.d/docker-clean"
  rm -rf "${rootfs:?}"/var/lib/apt/lists/* "${rootfs:?}"/var/cache/apt/archives/*.deb "${rootfs:?}"/var/cache/apt/*.bin
  import_rootfs "$rootfs" docker.io/library/debian:bookworm
  # -slim, as Debian's: no documentation (but the copyright files), manual pages or
  # translations, now or from packages installed later.
  printf '%s\n' 'path-exclude /usr/share/doc/*' 'path-include /usr/share/doc/*/copyright' \
    'path-exclude /usr/share/man/*' 'path-exclude /usr/share/groff/*' 'path-exclude /usr/share/info/*' \
    'path-exclude /usr/share/lintian/*' 'path-exclude /usr/share/linda/*' \
    'path-exclude /usr/share/locale/*' 'path-include /usr/share/locale/locale.alias' \
    >"${rootfs:?}/etc/dpkg/dpkg.cfg.d/docker-slim"
  find "${rootfs:?}/usr/share/doc" -mindepth 1 ! -type d ! -name copyright -delete
  find "${rootfs:?}/usr/share/doc" -mindepth 1 -type d -empty -delete
  local dir
  for dir in man groff info lintian linda; do
    if [ -d "${rootfs:?}/usr/share/$dir" ]; then find "${rootfs:?}/usr/share/$dir" -mindepth 1 -delete; fi
  done
  find "${rootfs:?}/usr/share/locale" -mindepth 1 -maxdepth 1 ! -name locale.alias -exec rm -rf {} +
  import_rootfs "$rootfs" docker.io/library/debian:bookworm-slim
  rm -rf "${rootfs:?}"
}
import_rootfs() {  # DIR IMAGE
  tar -C "$1" -c . | timeout 300 "${podman[@]}" import -q \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD ["bash"]' - "$2" >/dev/null
  echo "container: imported $2 ($("${podman[@]}" image ls --format '{{.Size}}' "$2"))"
}

build_seconds="-"
if [ -z "${KCI_IMAGE:-}" ]; then
  # One base at a time, should two runs of this test meet.
  exec 9>/var/tmp/kci-container-base.lock
  flock -w 1500 9 || fail "waited too long for another run's base image"
  if "${podman[@]}" image exists docker.io/library/debian:bookworm &&
     "${podman[@]}" image exists docker.io/library/debian:bookworm-slim; then
    echo "container: reusing the local debian:bookworm and debian:bookworm-slim"
  elif timeout 60 "${podman[@]}" pull -q docker.io/library/debian:bookworm >/dev/null 2>&1 &&
       timeout 60 "${podman[@]}" pull -q docker.io/library/debian:bookworm-slim >/dev/null 2>&1; then
    echo "container: pulled debian:bookworm and debian:bookworm-slim"
  else
    echo "container: no registry answers; building debian:bookworm locally"
    prepare_base
  fi
  flock -u 9

  # --- build ----------------------------------------------------------------------------------
  echo "container: podman build (no tests: .ci/setup --no-tests; several minutes on 2 cores)"
  build_start=$(date +%s)
  # --layers=false: no intermediate images left behind; each run builds from scratch, as CI would.
  if ! timeout 1800 "${podman[@]}" build --layers=false -f Dockerfile -t "$image" . >"$workdir/build.log" 2>&1; then
    tail -40 "$workdir/build.log" >&2
    fail "podman build failed"
  fi
  build_seconds=$(( $(date +%s) - build_start ))
  grep -q "^runtime-packages: .* exactly what build/allocation-exporter loads" "$workdir/build.log" ||
    fail "the build stage did not check RUNTIME_LIBRARIES against ldd"
  ! grep -q "Building CXX object tests/" "$workdir/build.log" || fail "the build stage compiled tests"
  pass "podman build in ${build_seconds} s: no tests compiled; the build stage checked its runtime packages against ldd"
else
  "${podman[@]}" image exists "$image" || fail "KCI_IMAGE=$image does not exist"
  echo "container: KCI_IMAGE: checking $image, building nothing"
fi
size=$("${podman[@]}" image ls --format '{{.Size}}' "$image")
echo "container: image $image, $size"

# The image's own configuration.
[ "$("${podman[@]}" image inspect --format '{{.Config.User}}' "$image")" = "65534:65534" ] || fail "image USER is not 65534:65534"
[ "$("${podman[@]}" image inspect --format '{{json .Config.Entrypoint}}' "$image")" = '["/usr/local/bin/allocation-exporter"]' ] ||
  fail "image ENTRYPOINT is not the binary"
"${podman[@]}" image inspect --format '{{json .Config.ExposedPorts}}' "$image" | grep -q '"9103/tcp"' || fail "image does not EXPOSE 9103"
pass "image: USER 65534:65534, ENTRYPOINT the binary, EXPOSE 9103"

# Every container runs like this: nothing writable (not even the /tmp, /var/tmp and /run tmpfs
# podman adds to --read-only by default), no capabilities, no privilege escalation.
hardened=(--read-only --read-only-tmpfs=false --cap-drop=ALL --security-opt=no-new-privileges "${ulimits[@]}")
run_once() {  # NAME ARGS...: runs the image to completion, output in $workdir/NAME.out
  local name="kci-container-test-$$-$1"; shift
  containers+=("$name")
  local rc=0
  timeout 60 "${podman[@]}" run --name "$name" "${hardened[@]}" "$image" "$@" >"$workdir/$name.out" 2>&1 || rc=$?
  cp "$workdir/$name.out" "$workdir/last.out"
  return $rc
}

run_once version --version || { cat "$workdir/last.out" >&2; fail "--version exited non-zero"; }
grep -Eq '^allocation-exporter [0-9]+\.[0-9]+\.[0-9]+' "$workdir/last.out" || { cat "$workdir/last.out" >&2; fail "--version printed no version"; }
pass "--version: $(head -1 "$workdir/last.out")"

run_once s3help s3-export --help || { cat "$workdir/last.out" >&2; fail "s3-export --help exited non-zero"; }
if ! grep -q "^Usage: allocation-exporter .*s3-export" "$workdir/last.out" ||
   ! grep -q -- "--s3.bucket" "$workdir/last.out"; then
  cat "$workdir/last.out" >&2; fail "s3-export --help printed no usage"
fi
pass "s3-export --help: exit 0, prints the usage ($(wc -l <"$workdir/last.out") lines)"

# --- --demo, serving /metrics on a published loopback port ------------------------------------
port=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
demo="kci-container-test-$$-demo"
containers+=("$demo")
timeout 60 "${podman[@]}" run -d --name "$demo" "${hardened[@]}" -p "127.0.0.1:$port:9103" "$image" --demo >/dev/null ||
  fail "podman run --demo failed"
# The server answers before the first poll of the demo cluster lands: wait for the cost series.
families=(cloudtuner_kubecost_namespace_total_cost cloudtuner_kubecost_exporter_info)
has_families() { local f; for f in "${families[@]}"; do grep -q "^$f" <<<"$1" || return 1; done; }
body="" served=false start=$SECONDS deadline=$((SECONDS + 30))
while [ $SECONDS -lt $deadline ]; do
  if body=$(curl -fsS --max-time 2 "http://127.0.0.1:$port/metrics" 2>/dev/null); then
    served=true
    has_families "$body" && break
  fi
  [ "$("${podman[@]}" inspect --format '{{.State.Running}}' "$demo")" = true ] ||
    { "${podman[@]}" logs "$demo" >&2; fail "the --demo container stopped"; }
  sleep 0.5
done
$served || { "${podman[@]}" logs "$demo" >&2; fail "no /metrics on 127.0.0.1:$port within 30 s"; }
has_families "$body" ||
  { printf '%s\n' "$body" | head -40 >&2; fail "/metrics lacks ${families[*]} after 30 s"; }
pass "--demo serves /metrics on 127.0.0.1:$port -> 9103 within $((SECONDS - start)) s ($(wc -l <<<"$body") lines, namespace_total_cost and exporter_info)"

# What the running exporter (PID 1 in the container) really has, seen from the host and from
# inside. Rootful podman without a user namespace: host and container UIDs are the same.
pid=$("${podman[@]}" inspect --format '{{.State.Pid}}' "$demo")
[ "$pid" -gt 0 ] || fail "no PID for the --demo container"
status=$(cat "/proc/$pid/status")
field() { awk -v k="$1:" '$1 == k {$1 = ""; sub(/^ /, ""); print}' <<<"$status"; }
[ "$(field Uid)" = "65534 65534 65534 65534" ] || fail "exporter runs with Uid $(field Uid), not 65534"
[ "$(field Gid)" = "65534 65534 65534 65534" ] || fail "exporter runs with Gid $(field Gid), not 65534"
pass "the exporter process (host PID $pid) runs as UID/GID 65534 (real, effective, saved, fs)"
for cap in CapInh CapPrm CapEff CapBnd CapAmb; do
  [ "$(field $cap)" = 0000000000000000 ] || fail "$cap is $(field $cap), not empty"
done
[ "$(field NoNewPrivs)" = 1 ] || fail "NoNewPrivs is $(field NoNewPrivs)"
pass "no capabilities (CapInh/Prm/Eff/Bnd/Amb all 0) and NoNewPrivs 1"
root_opts=$(awk '$5 == "/" {print $6}' "/proc/$pid/mountinfo")
[[ ",$root_opts," == *",ro,"* ]] || fail "the container's / is mounted $root_opts, not ro"
[ "$("${podman[@]}" inspect --format '{{.HostConfig.ReadonlyRootfs}}' "$demo")" = true ] || fail "podman does not report a read-only rootfs"
inside=$(timeout 30 "${podman[@]}" exec "$demo" cat /proc/self/status)
grep -q "^Uid:	65534	65534	65534	65534$" <<<"$inside" || fail "podman exec does not run as 65534"
for path in / /tmp /var/tmp /run /usr/local/bin; do
  if out=$(timeout 30 "${podman[@]}" exec "$demo" sh -c "echo x > $path/kci-write-probe" 2>&1); then
    fail "$path is writable in the container"
  fi
  grep -qi "read-only file system" <<<"$out" || fail "writing to $path failed, but not for a read-only file system: $out"
done
pass "read-only root filesystem: / mounted $root_opts; writes to /, /tmp, /var/tmp, /run, /usr/local/bin fail (EROFS)"

"${podman[@]}" stop -t 10 "$demo" >/dev/null
[ "$("${podman[@]}" inspect --format '{{.State.ExitCode}}' "$demo")" = 0 ] ||
  { "${podman[@]}" logs "$demo" >&2; fail "the --demo container did not exit 0 on SIGTERM"; }
pass "--demo exits 0 on podman stop (SIGTERM)"

if [ "$build_seconds" = - ]; then built="KCI_IMAGE, not built"; else built="image build ${build_seconds} s"; fi
echo "container: $checks passed, 0 failed ($built, image size $size)"
