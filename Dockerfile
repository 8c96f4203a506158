# Multi-stage build on Debian bookworm. The build stage runs CI's setup script without the tests
# (-DBUILD_TESTING=OFF, only the allocation-exporter target); the runtime stage ships the stripped
# binary and its shared libraries. tests/container/run.sh builds and runs this image with podman.

# Exactly the packages that own the binary's shared libraries (ldd): the build stage fails,
# naming the difference, when this list and the binary disagree.
ARG RUNTIME_LIBRARIES="libc6 libcrypt1 libfmt9 libgcc-s1 libisal2 libprometheus-cpp-core1.0 libsimdjson14 \
  libsnappy1v5 libspdlog1.10 libssl3 libstdc++6 libyaml-cpp0.7 libzstd1 zlib1g"

FROM debian:bookworm AS build
ARG RUNTIME_LIBRARIES
WORKDIR /src
COPY . .
RUN bash .ci/setup --no-tests \
    && strip build/allocation-exporter \
    && bash .ci/runtime-packages build/allocation-exporter "$RUNTIME_LIBRARIES"

FROM debian:bookworm-slim
ARG RUNTIME_LIBRARIES
# ca-certificates: TLS to Kubecost, S3 and STS.
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
         $RUNTIME_LIBRARIES ca-certificates \
    && apt-get clean && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/build/allocation-exporter /usr/local/bin/allocation-exporter
USER 65534:65534
EXPOSE 9103
ENTRYPOINT ["/usr/local/bin/allocation-exporter"]
