package dev.tandem.server;

import io.javalin.http.Context;
import java.util.List;

/** The live loop's routes (admins only): status and history for the dashboard; 404 when no loop is attached. */
final class LoopApi {
    private final ServedLoop loop;

    /** {@code loop} may be null: the routes exist (and OpenAPI lists them) but answer 404. */
    LoopApi(ServedLoop loop) {
        this.loop = loop;
    }

    List<ApiRoute> routes() {
        return List.of(
                ApiRoute.get("/api/loop/status").role(Role.ADMIN).tag("loop").returns("LoopStatus")
                        .summary("The live RLHF loop: policy and reward-model versions, judgements, whether training "
                                + "runs, the last error (404 when the server runs without a loop)")
                        .handle(this::status),
                ApiRoute.get("/api/loop/history").role(Role.ADMIN).tag("loop").returns("LoopHistory")
                        .summary("The live loop's history: judgements over time, reward-model accuracy on held-out "
                                + "judgements per version, policy reward and KL per round, versions, samples of "
                                + "version N beside version 0 (404 without a loop)")
                        .handle(this::history));
    }

    private void status(Context ctx, Principal who) {
        ctx.json(require().status());
    }

    private void history(Context ctx, Principal who) {
        ctx.json(require().history());
    }

    private ServedLoop require() {
        if (loop == null) {
            throw ApiException.notFound("no live loop is attached to this server (start it with `tandem serve --loop DIR`)");
        }
        return loop;
    }
}
