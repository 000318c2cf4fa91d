package dev.tandem.cli;

import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code tandem} command. Each subcommand is a small class in this package; register new ones in
 * {@link #SUBCOMMANDS}. Results go to stdout, diagnostics (logging, progress bars) to stderr.
 */
@Command(
        name = "tandem",
        mixinStandardHelpOptions = true,
        versionProvider = Main.Version.class,
        description = "RLHF for the JVM: collect human feedback, learn a reward model, fine-tune the policy.",
        subcommands = {CommandLine.HelpCommand.class})
public final class Main implements Runnable {

    /**
     * Subcommands, in the order {@code --help} lists them. Classes, not instances: picocli makes a fresh instance per
     * command line, so no option value leaks from one run into the next (tests run many in one JVM).
     */
    static final List<Class<?>> SUBCOMMANDS = List.of(
        DemoCommand.class,
        GenerateCommand.class,
        BenchCommand.class,
        ImportCommand.class,
        ExportCommand.class,
        RmCommand.class,
        ServeCommand.class,
        SftCommand.class,
        PpoCommand.class,
        DpoCommand.class,
        GrpoCommand.class,
        RlooCommand.class,
        BestOfNCommand.class,
        JudgeCommand.class,
        ExperimentCommand.class);

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.err);
    }

    public static CommandLine commandLine() {
        CommandLine cli = new CommandLine(new Main());
        for (Class<?> sub : SUBCOMMANDS) cli.addSubcommand(sub);
        cli.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
            if (ex instanceof UserException) {
                commandLine.getErr().println("error: " + ex.getMessage());
                return 2;
            }
            throw ex;
        });
        return cli;
    }

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"tandem " + (v == null ? "dev" : v)};
        }
    }
}
