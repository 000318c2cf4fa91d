package dev.tandem.server;

import io.javalin.http.Context;

/** A route handler that receives the authenticated caller ({@code null} on public routes). */
@FunctionalInterface
interface ApiHandler {
    void handle(Context ctx, Principal who) throws Exception;
}
