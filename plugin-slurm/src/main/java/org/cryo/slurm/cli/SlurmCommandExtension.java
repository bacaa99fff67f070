package org.cryo.slurm.cli;

import org.cryo.cli.CommandExtension;

/** Adds {@code cryo slurm} to the cryo command (found through ServiceLoader). */
public final class SlurmCommandExtension implements CommandExtension {
    @Override
    public String name() {
        return "slurm";
    }

    @Override
    public Object command() {
        return new SlurmCommand();
    }
}
