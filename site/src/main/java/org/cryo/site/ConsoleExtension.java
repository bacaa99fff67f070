package org.cryo.site;

import org.cryo.cli.CommandExtension;

/** Adds {@code cryo console} to the command line (ServiceLoader). */
public final class ConsoleExtension implements CommandExtension {
    @Override
    public String name() {
        return "console";
    }

    @Override
    public Object command() {
        return new ConsoleCommand();
    }
}
