package dev.tandem.cli;

import dev.tandem.feedback.FeedbackException;
import dev.tandem.feedback.store.FeedbackStore;
import dev.tandem.loop.judge.AiJudge;
import dev.tandem.loop.judge.JudgePass;
import dev.tandem.loop.judge.OpenAiChatJudge;
import dev.tandem.loop.judge.RewardModelJudge;
import dev.tandem.reward.RewardModel;
import dev.tandem.reward.RewardModels;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code tandem judge}: an AI judge pass over a dataset's open pairwise tasks. Each judge's answers are stored as
 * judgements of an {@code ai-judge} annotator with a confidence (they use up no overlap slot: people still get
 * every task), then the tasks' priorities are set so people get first the tasks the judges are least sure of or
 * disagree about. The last line is {@code judged: N, prioritised: P}.
 */
@Command(name = "judge", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Run AI judges over a dataset's open pairwise tasks; store their labels (annotator kind ai-judge, with",
                "confidence, not counted toward the overlap) and put the tasks they are least sure of first in the queue.",
                "Judges: --reward-model DIR (repeatable) and/or an OpenAI-compatible endpoint (--openai-url with --openai-model)."})
public final class JudgeCommand implements Callable<Integer> {
    @Option(names = "--db", defaultValue = ImportCommand.DEFAULT_DB,
            description = "JDBC URL (jdbc:sqlite:FILE or jdbc:postgresql://...) or a SQLite file (default: ${DEFAULT-VALUE}).")
    String db;

    @Option(names = "--dataset", required = true, description = "Dataset whose open pairwise tasks are judged.")
    String dataset;

    @Option(names = "--reward-model", description = "A reward-model directory (tandem rm train); its judge is ai:reward-model:PARENT/NAME.")
    List<Path> rewardModels = new ArrayList<>();

    @Option(names = "--openai-url", description = "Base URL of an OpenAI-compatible server, e.g. http://localhost:11434 (Ollama) or http://localhost:8000/v1 (vLLM).")
    String openaiUrl;

    @Option(names = "--openai-model", description = "Model name at that server; the judge is ai:chat:MODEL.")
    String openaiModel;

    @Option(names = "--openai-api-key-env", defaultValue = "OPENAI_API_KEY",
            description = "Environment variable holding the API key, if the server needs one (default: ${DEFAULT-VALUE}); never printed.")
    String apiKeyEnv;

    @Option(names = "--timeout", defaultValue = "60", description = "Seconds to wait for each chat reply (default: ${DEFAULT-VALUE}).")
    int timeoutSeconds;

    @Option(names = "--no-logprobs", description = "Don't ask the chat server for token log-probabilities (confidence then comes from the stated answer).")
    boolean noLogprobs;

    @Override
    public Integer call() throws Exception {
        if (rewardModels.isEmpty() && openaiUrl == null) throw new UserException("give --reward-model DIR and/or --openai-url URL --openai-model NAME");
        if ((openaiUrl == null) != (openaiModel == null)) throw new UserException("--openai-url and --openai-model go together");
        if (timeoutSeconds < 1) throw new UserException("--timeout must be >= 1");
        List<RewardModel> loaded = new ArrayList<>();
        try (FeedbackStore store = ImportCommand.openStore(db)) {
            List<AiJudge> judges = new ArrayList<>();
            for (Path dir : rewardModels) {
                RewardModel rm;
                try {
                    rm = RewardModels.load(dir);
                } catch (IOException | IllegalArgumentException e) {
                    throw new UserException("cannot load reward model " + dir + ": " + e.getMessage(), e);
                }
                loaded.add(rm);
                Path abs = dir.toAbsolutePath().normalize();
                String label = abs.getParent() != null && abs.getParent().getFileName() != null
                        ? abs.getParent().getFileName() + "/" + abs.getFileName() : String.valueOf(abs.getFileName());
                judges.add(new RewardModelJudge(rm, "ai:reward-model:" + label));
            }
            if (openaiUrl != null) {
                try {
                    judges.add(new OpenAiChatJudge(new OpenAiChatJudge.Config(openaiUrl, openaiModel, System.getenv(apiKeyEnv),
                            Duration.ofSeconds(timeoutSeconds), !noLogprobs)));
                } catch (IllegalArgumentException e) {
                    throw new UserException(e.getMessage(), e);
                }
            }
            JudgePass.Report report;
            try {
                report = new JudgePass(store).run(dataset, judges, msg -> System.err.println(msg));
            } catch (FeedbackException | IllegalArgumentException e) {
                throw new UserException(e.getMessage(), e);
            }
            int judged = 0;
            for (JudgePass.JudgeReport j : report.judges()) {
                System.out.println(j.judge() + ": judged " + j.judged() + ", already judged " + j.skipped() + ", failed " + j.failed());
                if (j.firstError() != null) System.err.println("error: " + j.judge() + ": " + j.firstError());
                judged += j.judged();
            }
            System.out.println("open pairwise tasks: " + report.openTasks());
            System.out.println("judged: " + judged + ", prioritised: " + report.prioritised());
            return report.failed() > 0 ? 1 : 0;
        } finally {
            for (RewardModel m : loaded) m.close();
        }
    }
}
