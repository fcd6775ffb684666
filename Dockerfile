# syntax=docker/dockerfile:1
# A static, cgo-free build (the SQLite driver is pure Go) in a distroless
# image that runs as an unprivileged user, with the database in a volume.
#
#   docker build -t oabadge .
#   docker run -p 8080:8080 -v oabadge-data:/data \
#     -e OABADGE_PUBLIC_URL=https://badge.example.gov.vn \
#     -e OABADGE_DEMO_TARGET=https://zalo.me/YOUR_OA_ID oabadge

FROM golang:1.26-bookworm AS build
# go.mod names the toolchain; the image's Go fetches it from the module proxy.
ENV GOTOOLCHAIN=go1.27.3
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/oabadge ./cmd/oabadge \
 && mkdir -p /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/oabadge /usr/local/bin/oabadge
COPY --from=build --chown=65532:65532 /out/data /data
USER 65532:65532
VOLUME /data
ENV OABADGE_ADDR=:8080 \
    OABADGE_DB=sqlite:/data/oabadge.db \
    OABADGE_LOG_FORMAT=json
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/oabadge"]
CMD ["serve"]
