# The image every CI template runs git-release in: git, bash, ssh and git-release.
# .github/workflows/image.yml builds it for each release tag as ghcr.io/<owner>/<repository>:<tag>;
# to keep one of your own: docker build -t <registry>/git-release:<tag> <this repository>#<tag>
FROM rust:1-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo install --locked --path . --root /out

FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends git bash ca-certificates openssh-client \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /out/bin/git-release /usr/local/bin/git-release
COPY man/git-release.1 /usr/local/share/man/man1/git-release.1
ENTRYPOINT []
CMD ["git", "release", "--help"]
