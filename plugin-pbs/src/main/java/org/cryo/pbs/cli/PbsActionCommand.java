package org.cryo.pbs.cli;

import java.util.List;
import java.util.concurrent.Callable;
import org.cryo.config.CryoConfig;
import org.cryo.pbs.MomAction;
import org.cryo.pbs.PbsActions;
import org.cryo.pbs.PbsAdapter;
import org.cryo.pbs.PbsAdapterProvider;
import org.cryo.scheduler.SchedulerException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * cryo pbs action -- EVENT ARGS...: one MoM checkpoint action, as bin/cryo-pbs-action runs it
 * once it has dropped root's rights for the job's owner ({@link MomAction} lists the argument
 * lists); {@code settle JOBID} (root, after a restart) brings a job PBS restarted from R/41 to R/42.
 */
@Command(name = "action", mixinStandardHelpOptions = true, usageHelpWidth = 100,
        headerHeading = "NAME%n", header = "  cryo pbs action - one MoM checkpoint action (run by bin/cryo-pbs-action)",
        synopsisHeading = "%nSYNOPSIS%n  ",
        descriptionHeading = "%nDESCRIPTION%n",
        description = {
            "  checkpoint|checkpoint_abort|restart %%jobid %%sid %%taskid %%path %%uid %%gid %%login %%owner",
            "  torque-checkpoint SID JOBID USER GROUP DIR NAME SIGNAL DEPTH, torque-restart SID JOBID USER GROUP DIR NAME",
            "  settle JOBID: qsig -s suspend/resume a job PBS restarted (R/41), so that it can be held again.",
            "  Not for use by hand: the MoM's lines call bin/cryo-pbs-action, which runs this as the job's owner.",
        })
public final class PbsActionCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(arity = "1..*", paramLabel = "ARG", description = "EVENT and the MoM's arguments (after --).")
    List<String> args;

    @Override
    public Integer call() throws Exception {
        if ("settle".equals(args.get(0)) && args.size() == 2) {
            PbsAdapter adapter = new PbsAdapterProvider().create(CryoConfig.effectiveEnvironment());
            spec.commandLine().getOut().println(adapter.makeHoldable(PbsAdapter.validJobId(args.get(1)))
                    .orElse("job " + args.get(1) + " is not R/41: nothing to do"));
            return 0;
        }
        MomAction action = MomAction.parse(args);
        PbsActions actions = PbsActions.open(action, CryoConfig.effectiveEnvironment());
        try {
            spec.commandLine().getOut().println(actions.run());
        } catch (SchedulerException | RuntimeException e) {
            actions.recordFailure(String.valueOf(e.getMessage()));
            throw e;
        }
        return 0;
    }
}
