package dev.tandem.cli;

import picocli.CommandLine.Command;

/** {@code tandem bench …}: benchmarks of the hot paths. Each prints its headline figure last as {@code name: value}. */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Benchmarks of Tandem's hot paths; the last line of each is `name: value`.",
        subcommands = {BenchGenerateCommand.class, BenchServeCommand.class, BenchMatmulCommand.class, BenchRmCommand.class, BenchPpoCommand.class, BenchDpoCommand.class})
public final class BenchCommand implements Runnable {
    @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.err);
    }
}
