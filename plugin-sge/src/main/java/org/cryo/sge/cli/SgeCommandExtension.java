package org.cryo.sge.cli;

import org.cryo.cli.CommandExtension;

/** Adds {@code cryo sge} to the cryo command (found through ServiceLoader). */
public final class SgeCommandExtension implements CommandExtension {
    @Override
    public String name() {
        return "sge";
    }

    @Override
    public Object command() {
        return new SgeCommand();
    }
}
