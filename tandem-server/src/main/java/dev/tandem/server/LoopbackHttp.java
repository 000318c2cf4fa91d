package dev.tandem.server;

import java.io.EOFException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * One keep-alive HTTP/1.1 connection for the load benchmark, non-blocking: a driver thread with a {@link Selector}
 * runs many of these (one per simulated annotator), so the load generator, which shares the 2-core machine with the
 * server it measures, costs a few threads and no thread hand-offs instead of one blocked thread per annotator.
 * One request at a time per connection; responses with Content-Length or chunked bodies. Not thread-safe.
 */
final class LoopbackHttp implements AutoCloseable {
    /** Status and body of a response; {@code replayed} is the Idempotent-Replayed header, if any. */
    record Reply(int status, byte[] bodyBytes, String replayed) {
        String body() { return new String(bodyBytes, StandardCharsets.UTF_8); }
    }

    private final InetSocketAddress address;
    private final String hostHeader;
    private final Selector selector;
    private final Object attachment;
    private SocketChannel channel;
    private SelectionKey key;
    private ByteBuffer out;                                  // pending request bytes
    private byte[] in = new byte[8192];                      // received, not yet consumed
    private int inLength;

    LoopbackHttp(URI base, Selector selector, Object attachment) {
        this.address = new InetSocketAddress(base.getHost(), base.getPort());
        this.hostHeader = base.getHost() + ":" + base.getPort();
        this.selector = selector;
        this.attachment = attachment;
    }

    /** The request head of a GET, for reuse (e.g. the same "next task" request again and again). */
    byte[] getRequest(String path, String bearer) {
        return ("GET " + path + " HTTP/1.1\r\nHost: " + hostHeader + "\r\nAuthorization: Bearer " + bearer
                + "\r\nAccept: application/json\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1);
    }

    byte[] postRequest(String path, String bearer, String json) {
        byte[] body = json.getBytes(StandardCharsets.UTF_8);
        byte[] head = ("POST " + path + " HTTP/1.1\r\nHost: " + hostHeader + "\r\nAuthorization: Bearer " + bearer
                + "\r\nContent-Type: application/json\r\nContent-Length: " + body.length + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1);
        byte[] all = Arrays.copyOf(head, head.length + body.length);
        System.arraycopy(body, 0, all, head.length, body.length);
        return all;
    }

    /** Sends a request (connecting first if needed); the reply arrives through {@link #onReadable()}. */
    void send(byte[] request) throws IOException {
        if (channel == null) connect();
        if (inLength != 0) throw new IOException("a request is still in flight on this connection");
        out = ByteBuffer.wrap(request);
        channel.write(out);
        key.interestOps(out.hasRemaining() ? SelectionKey.OP_READ | SelectionKey.OP_WRITE : SelectionKey.OP_READ);
    }

    /** Continues a request the socket could not take at once. */
    void onWritable() throws IOException {
        channel.write(out);
        if (!out.hasRemaining()) key.interestOps(SelectionKey.OP_READ);
    }

    /** Reads what arrived; the complete reply, or null while it is still incomplete. */
    Reply onReadable() throws IOException {
        while (true) {
            if (inLength == in.length) in = Arrays.copyOf(in, in.length * 2);
            int n = channel.read(ByteBuffer.wrap(in, inLength, in.length - inLength));
            if (n < 0) throw new EOFException("the server closed the connection");
            if (n == 0) break;
            inLength += n;
        }
        return parse();
    }

    private void connect() throws IOException {
        channel = SocketChannel.open();
        channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
        channel.connect(address); // blocking connect: loopback, immediate
        channel.configureBlocking(false);
        key = channel.register(selector, SelectionKey.OP_READ, attachment);
        inLength = 0;
    }

    /** Parses one complete response from the input, or returns null when more bytes are needed. */
    private Reply parse() throws IOException {
        int headEnd = indexOf(in, 0, inLength, "\r\n\r\n");
        if (headEnd < 0) return null;
        if (headEnd < 12 || !matches(0, headEnd, "http/1.1 "))
            throw new IOException("bad status line: " + new String(in, 0, Math.min(headEnd, 80), StandardCharsets.ISO_8859_1));
        int status = (in[9] - '0') * 100 + (in[10] - '0') * 10 + (in[11] - '0');
        long length = -1;
        boolean chunked = false, close = false;
        String replayed = null;
        // header lines, by bytes: only the few we need become strings
        for (int at = indexOf(in, 0, headEnd, "\r\n") + 2; at > 1 && at < headEnd; ) {
            int eol = indexOf(in, at, headEnd, "\r\n");
            if (eol < 0) eol = headEnd;
            String v;
            if ((v = header(at, eol, "content-length:")) != null) length = Long.parseLong(v);
            else if ((v = header(at, eol, "transfer-encoding:")) != null) chunked = v.toLowerCase(java.util.Locale.ROOT).contains("chunked");
            else if ((v = header(at, eol, "connection:")) != null) close = v.equalsIgnoreCase("close");
            else if ((v = header(at, eol, "idempotent-replayed:")) != null) replayed = v;
            at = eol + 2;
        }
        int bodyStart = headEnd + 4;
        byte[] body;
        int end;
        if (chunked) {
            java.io.ByteArrayOutputStream sb = new java.io.ByteArrayOutputStream();
            int at = bodyStart;
            while (true) {
                int eol = indexOf(in, at, inLength, "\r\n");
                if (eol < 0) return null;
                String size = new String(in, at, eol - at, StandardCharsets.ISO_8859_1);
                int semi = size.indexOf(';');
                int n = Integer.parseInt((semi >= 0 ? size.substring(0, semi) : size).trim(), 16);
                at = eol + 2;
                if (n == 0) {
                    int trailerEnd = indexOf(in, at, inLength, "\r\n");
                    while (trailerEnd > at) { // skip trailers
                        at = trailerEnd + 2;
                        trailerEnd = indexOf(in, at, inLength, "\r\n");
                    }
                    if (trailerEnd < 0) return null;
                    end = trailerEnd + 2;
                    break;
                }
                if (inLength < at + n + 2) return null;
                sb.write(in, at, n);
                at += n + 2;
            }
            body = sb.toByteArray();
        } else if (length >= 0) {
            if (inLength < bodyStart + length) return null;
            body = Arrays.copyOfRange(in, bodyStart, bodyStart + (int) length);
            end = bodyStart + (int) length;
        } else if (status == 204 || status == 304) {
            body = new byte[0];
            end = bodyStart;
        } else {
            throw new IOException("response without Content-Length or chunked encoding (status " + status + ")");
        }
        if (end != inLength) throw new IOException("unexpected bytes after the response (" + (inLength - end) + ")");
        inLength = 0;
        if (close) close();
        return new Reply(status, body, replayed);
    }

    /** True if the input bytes [at, end) start with {@code lowerCase}, ignoring ASCII case. */
    private boolean matches(int at, int end, String lowerCase) {
        if (at + lowerCase.length() > end) return false;
        for (int k = 0; k < lowerCase.length(); k++) {
            int c = in[at + k];
            if (c >= 'A' && c <= 'Z') c += 'a' - 'A';
            if (c != lowerCase.charAt(k)) return false;
        }
        return true;
    }

    /**
     * The trimmed value of the header line [at, eol) if its name is {@code nameColon} (lower case, with the colon),
     * else null: the value starts right after the matched name, so the line is scanned once.
     */
    private String header(int at, int eol, String nameColon) {
        if (!matches(at, eol, nameColon)) return null;
        int from = at + nameColon.length();
        return new String(in, from, eol - from, StandardCharsets.ISO_8859_1).trim();
    }

    /** The first index in [from, to) where {@code pattern} (ASCII) starts, or -1. */
    static int indexOf(byte[] a, int from, int to, String pattern) {
        outer:
        for (int i = from; i <= to - pattern.length(); i++) {
            for (int k = 0; k < pattern.length(); k++) if (a[i + k] != pattern.charAt(k)) continue outer;
            return i;
        }
        return -1;
    }

    /** Closes the connection; the next {@link #send} opens a new one. */
    @Override
    public void close() {
        if (channel == null) return;
        if (key != null) key.cancel();
        try {
            channel.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        channel = null;
        key = null;
        inLength = 0;
    }
}
