package org.cryo.cli;

/**
 * A {@code cryo} subcommand contributed by a module that is not a scheduler's (a scheduler's
 * commands come from its {@link org.cryo.scheduler.SchedulerAdapterProvider#commands}), found through {@link java.util.ServiceLoader}: list the class in
 * {@code META-INF/services/org.cryo.cli.CommandExtension}.  Commands signal failure with
 * {@link org.cryo.scheduler.SchedulerException}, {@link org.cryo.api.CheckpointException} (status 2)
 * or {@link IllegalArgumentException} (status 1); the message is printed as one line.
 */
public interface CommandExtension {
    /** The subcommand's name. */
    String name();

    /** A picocli command object (annotated with {@code @Command}), possibly with subcommands. */
    Object command();
}
