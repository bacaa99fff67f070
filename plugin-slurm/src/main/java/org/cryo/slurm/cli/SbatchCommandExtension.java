package org.cryo.slurm.cli;

import org.cryo.cli.CommandExtension;

/** Adds {@code cryo sbatch} (submit with periodic checkpoints) to the cryo command. */
public final class SbatchCommandExtension implements CommandExtension {
    @Override
    public String name() {
        return "sbatch";
    }

    @Override
    public Object command() {
        return new SbatchCommand();
    }
}
