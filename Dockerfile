# Multi-stage build on Debian bookworm; the build stage runs the same script CI uses.
FROM debian:bookworm AS build
WORKDIR /src
COPY . .
RUN bash .ci/setup && strip build/allocation-exporter

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends \
      libcpp-httplib0.11 libsimdjson14 libyaml-cpp0.7 libspdlog1.10 libfmt9 \
      libssl3 zlib1g libbrotli1 libsnappy1v5 libzstd1 ca-certificates \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/build/allocation-exporter /usr/local/bin/allocation-exporter
USER 65534:65534
EXPOSE 9103
ENTRYPOINT ["/usr/local/bin/allocation-exporter"]
