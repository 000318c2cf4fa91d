package dev.tandem.cli;

import dev.tandem.feedback.io.PreferenceFormatException;
import dev.tandem.reward.RewardTrainer;
import picocli.CommandLine.Command;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.concurrent.Callable;

/** {@code tandem rm …}: reward models — train, evaluate, score. */
@Command(name = "rm", mixinStandardHelpOptions = true,
        description = "Reward models: learn a reward from human comparisons (train), measure it (eval), use it (score).",
        subcommands = {RmTrainCommand.class, RmEvalCommand.class, RmScoreCommand.class})
public final class RmCommand implements Runnable {
    @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.err);
    }

    /** Runs a reward-model action, turning input problems into one-line user errors. */
    static Integer userErrors(Callable<Integer> action) {
        try {
            return action.call();
        } catch (UserException e) {
            throw e;
        } catch (PreferenceFormatException | IllegalArgumentException | RewardTrainer.DivergedException e) {
            throw new UserException(e.getMessage(), e);
        } catch (UncheckedIOException e) {
            throw new UserException(e.getCause().getMessage(), e);
        } catch (IOException e) {
            throw new UserException(e.getMessage(), e);
        } catch (Exception e) {
            throw e instanceof RuntimeException r ? r : new IllegalStateException(e);
        }
    }
}
