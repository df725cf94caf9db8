# One-box platform image: HTTP + WebSocket on 8080/tcp, WebRTC media on a UDP range.
#
#   docker build -t livestream .
#   docker run --rm -p 8080:8080 -p 40000-40199:40000-40199/udp \
#     -e ANNOUNCED_IP=203.0.113.10 livestream
#
# ANNOUNCED_IP is the address viewers and publishers can reach this host on (its LAN or public IP).
# The SFU listens inside the container but must put a reachable address in its ICE candidates;
# without it, only clients that can reach the container's own address connect.
# HTTPS=1 serves with a generated self-signed certificate (phones need a secure context for the camera).
FROM node:20-bookworm-slim

# openssl: HTTPS=1 certificates. pocketsphinx + model: VOD captions.
# python3/make/g++: better-sqlite3 builds from its bundled source when no prebuilt binary fits.
RUN apt-get update \
 && apt-get install -y --no-install-recommends openssl ca-certificates pocketsphinx pocketsphinx-en-us \
      python3 make g++ \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund

COPY . .
RUN npm run build:web

ENV HOST=0.0.0.0 \
    PORT=8080 \
    RTC_MIN_PORT=40000 \
    RTC_MAX_PORT=40199 \
    DATA_DIR=/data
VOLUME ["/data"]

EXPOSE 8080/tcp
EXPOSE 40000-40199/udp

CMD ["node", "--import", "tsx", "signaling/main.ts"]
