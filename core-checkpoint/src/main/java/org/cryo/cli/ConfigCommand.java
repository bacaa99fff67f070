package org.cryo.cli;

import java.util.concurrent.Callable;
import org.cryo.config.ConfigKey;
import org.cryo.config.ConfigKeys;
import org.cryo.config.CryoConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** cryo config: the effective settings and where each came from (docs/CONFIG.md). */
@Command(name = "config", mixinStandardHelpOptions = true, usageHelpWidth = 100,
        description = {
            "Print every setting with its effective value and where it came from: default,",
            "/etc/cryo/cryo.conf, ~/.config/cryo/cryo.conf or an environment variable (each",
            "overrides the one before). With KEY, print only that value (empty when unset).",
            "Files ignored (not root's, writable by others) and lines refused are listed last.",
        })
final class ConfigCommand implements Callable<Integer> {
    @Parameters(arity = "0..1", paramLabel = "KEY", description = "One key (e.g. catalog.root).")
    String key;

    @Override
    public Integer call() throws CliFailure {
        CryoConfig config = CryoConfig.current();
        if (key != null) {
            ConfigKey named = ConfigKeys.named(key).orElseThrow(() -> new CliFailure(
                    "unknown key '" + key + "' (see cryo config)", ExitStatus.USAGE));
            System.out.println(config.value(named).orElse(""));
            return ExitStatus.OK;
        }
        for (CryoConfig.Setting setting : config.settings()) {
            String value = setting.value().orElse(setting.key().defaultValue());
            System.out.printf("%-28s = %-32s # %s (%s)%n", setting.key().key(), value, setting.source(),
                    setting.key().variable());
        }
        for (String notice : config.notices()) {
            System.out.println("# " + notice);
        }
        return ExitStatus.OK;
    }
}
