package dev.tandem.cli;

import picocli.CommandLine.Command;

/** {@code tandem experiment …}: measurements in the simulated setting, written as curves, a summary and a chart. */
@Command(name = "experiment", mixinStandardHelpOptions = true,
        description = "Experiments in the simulated setting (labels from a SIMULATED annotator).",
        subcommands = {ActiveLearningCommand.class})
public final class ExperimentCommand implements Runnable {
    @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.err);
    }
}
