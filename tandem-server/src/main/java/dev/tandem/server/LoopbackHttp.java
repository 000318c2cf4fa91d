package dev.tandem.server;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * A minimal HTTP/1.1 client over one keep-alive connection, for the load benchmark: the load generator runs in the
 * same process as the server on a 2-core machine, so it should cost as little CPU as possible. It speaks plain
 * HTTP/1.1 (Content-Length or chunked responses) and is not thread-safe: one per simulated annotator.
 */
final class LoopbackHttp implements AutoCloseable {
    /** Status and body of a response. */
    record Reply(int status, String body, String replayed) {}

    private final URI base;
    private final String hostHeader;
    private Socket socket;
    private InputStream in;
    private OutputStream out;

    LoopbackHttp(URI base) {
        this.base = base;
        this.hostHeader = base.getHost() + ":" + base.getPort();
    }

    Reply get(String path, String bearer) throws IOException {
        return exchange("GET " + path + " HTTP/1.1\r\nHost: " + hostHeader + "\r\nAuthorization: Bearer " + bearer
                + "\r\nAccept: application/json\r\n\r\n", null);
    }

    Reply post(String path, String bearer, String json) throws IOException {
        byte[] body = json.getBytes(StandardCharsets.UTF_8);
        return exchange("POST " + path + " HTTP/1.1\r\nHost: " + hostHeader + "\r\nAuthorization: Bearer " + bearer
                + "\r\nContent-Type: application/json\r\nContent-Length: " + body.length + "\r\n\r\n", body);
    }

    private Reply exchange(String head, byte[] body) throws IOException {
        if (socket == null) connect();
        try {
            byte[] h = head.getBytes(StandardCharsets.ISO_8859_1);
            if (body == null) {
                out.write(h);
            } else {
                byte[] all = new byte[h.length + body.length];
                System.arraycopy(h, 0, all, 0, h.length);
                System.arraycopy(body, 0, all, h.length, body.length);
                out.write(all);
            }
            out.flush();
            return read();
        } catch (IOException e) {
            close();
            throw e;
        }
    }

    private void connect() throws IOException {
        socket = new Socket();
        socket.setTcpNoDelay(true);
        socket.connect(new InetSocketAddress(base.getHost(), base.getPort()), 5000);
        socket.setSoTimeout(60_000);
        in = new BufferedInputStream(socket.getInputStream(), 16384);
        out = socket.getOutputStream();
    }

    private Reply read() throws IOException {
        String status = line();
        if (!status.startsWith("HTTP/1.1 ")) throw new IOException("bad status line: " + status);
        int code = Integer.parseInt(status.substring(9, 12));
        long length = -1;
        boolean chunked = false, close = false;
        String replayed = null;
        for (String l; !(l = line()).isEmpty(); ) {
            int colon = l.indexOf(':');
            if (colon < 0) continue;
            String name = l.substring(0, colon).trim().toLowerCase(Locale.ROOT);
            String value = l.substring(colon + 1).trim();
            switch (name) {
                case "content-length" -> length = Long.parseLong(value);
                case "transfer-encoding" -> chunked = value.toLowerCase(Locale.ROOT).contains("chunked");
                case "connection" -> close = value.equalsIgnoreCase("close");
                case "idempotent-replayed" -> replayed = value;
                default -> { }
            }
        }
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        if (chunked) {
            for (long n; (n = Long.parseLong(line().split(";")[0].trim(), 16)) > 0; line()) copy(n, body);
            while (!line().isEmpty()) { /* trailers */ }
        } else if (length > 0) {
            copy(length, body);
        } else if (length < 0 && code != 204 && code != 304) {
            in.transferTo(body); // until the server closes
            close = true;
        }
        if (close) close();
        return new Reply(code, body.toString(StandardCharsets.UTF_8), replayed);
    }

    private void copy(long n, ByteArrayOutputStream to) throws IOException {
        byte[] buf = new byte[(int) Math.min(n, 16384)];
        while (n > 0) {
            int r = in.read(buf, 0, (int) Math.min(n, buf.length));
            if (r < 0) throw new EOFException("connection closed in a response body");
            to.write(buf, 0, r);
            n -= r;
        }
    }

    private String line() throws IOException {
        StringBuilder sb = new StringBuilder(64);
        for (int c; (c = in.read()) != '\n'; ) {
            if (c < 0) throw new EOFException("connection closed");
            if (c != '\r') sb.append((char) c);
        }
        return sb.toString();
    }

    @Override
    public void close() {
        if (socket == null) return;
        try {
            socket.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        socket = null;
    }
}
