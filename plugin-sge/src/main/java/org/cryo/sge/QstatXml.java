package org.cryo.sge;

import java.io.IOException;
import java.io.StringReader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilder;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;
import org.cryo.api.SafeText;
import org.cryo.scheduler.SchedulerException;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;
import org.xml.sax.InputSource;
import org.xml.sax.SAXException;

/**
 * Reads Grid Engine 8.1.9's {@code qstat -xml} ({@code job_info}: jobs, states and queue
 * instances) and {@code qstat -j JOB -xml} ({@code detailed_job_info}: owner, working directory,
 * checkpointing environment, rerun flag) with a real XML parser: no DTDs, no external entities.
 */
public final class QstatXml {
    private QstatXml() {
    }

    /** One line of {@code qstat -xml}'s job list: the state letters and the queue instance (queue@host). */
    public record Listed(String jobId, String owner, String states, String queueInstance) {
        /** The host of the queue instance, "" when it has none (pending). */
        public String host() {
            int at = queueInstance.indexOf('@');
            return at < 0 ? "" : queueInstance.substring(at + 1);
        }
    }

    /** Every {@code job_list} element of {@code qstat -xml -u *}, running and pending. */
    public static List<Listed> jobList(String xml) throws SchedulerException {
        Document document = parse(xml, "qstat -xml");
        List<Listed> jobs = new ArrayList<>();
        NodeList lists = document.getElementsByTagName("job_list");
        for (int i = 0; i < lists.getLength(); i++) {
            Element job = (Element) lists.item(i);
            jobs.add(new Listed(text(job, "JB_job_number"), text(job, "JB_owner"), text(job, "state"),
                    text(job, "queue_name")));
        }
        return jobs;
    }

    /**
     * The job of {@code qstat -j JOB -xml} together with its lines in the job list (a parallel job
     * has one per queue instance); empty when the job record is missing.
     */
    public static Optional<SgeJob> job(String detailXml, List<Listed> listed) throws SchedulerException {
        Document document = parse(detailXml, "qstat -j -xml");
        NodeList infos = document.getElementsByTagName("djob_info");
        if (infos.getLength() == 0) {
            return Optional.empty();
        }
        Element element = firstChildElement((Element) infos.item(0), "element");
        if (element == null) {
            return Optional.empty();
        }
        String jobId = text(element, "JB_job_number");
        String owner = text(element, "JB_owner");
        if (!jobId.matches("\\d+") || owner.isEmpty()) {
            throw new SchedulerException("qstat -j -xml: a job record without number or owner");
        }
        Map<String, String> environment = environment(element);
        // SGE_O_WORKDIR, as cr_run sees it (not JB_cwd, the -wd/-cwd directory): where the catalog is
        String workDir = environment.getOrDefault("__SGE_PREFIX__O_WORKDIR", "");
        String states = "";
        List<String> hosts = new ArrayList<>();
        for (Listed line : listed) {
            if (line.jobId().equals(jobId)) {
                states = line.states();
                if (!line.host().isEmpty() && !hosts.contains(line.host())) {
                    hosts.add(line.host());
                }
            }
        }
        return Optional.of(new SgeJob(jobId, owner, states, hosts,
                workDir.isEmpty() ? Path.of("/") : Path.of(workDir), text(element, "JB_checkpoint_name"),
                "1".equals(text(element, "JB_restart")) || "true".equals(text(element, "JB_restart"))));
    }

    /** JB_env_list: the variables qsub recorded (SGE_O_* as __SGE_PREFIX__O_*). */
    private static Map<String, String> environment(Element job) {
        Map<String, String> variables = new LinkedHashMap<>();
        Element list = firstChildElement(job, "JB_env_list");
        if (list == null) {
            return variables;
        }
        for (Node n = list.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element entry) {
                variables.put(text(entry, "VA_variable"), text(entry, "VA_value"));
            }
        }
        return variables;
    }

    /** One queue instance of {@code qstat -f -xml}: its name (queue@host), slots used and total, state letters. */
    public record QueueInstance(String name, int used, int total, String states) {
    }

    /** The queue instances {@code qstat -f -xml} lists ({@code Queue-List} under {@code queue_info}). */
    public static List<QueueInstance> queueInstances(String xml) throws SchedulerException {
        Document document = parse(xml, "qstat -f -xml");
        NodeList queues = document.getElementsByTagName("Queue-List");
        List<QueueInstance> found = new ArrayList<>();
        for (int i = 0; i < queues.getLength(); i++) {
            Element queue = (Element) queues.item(i);
            // the queue's own fields only: its job_list entries have a <state> of their own
            String name = ownText(queue, "name");
            if (name.isEmpty()) {
                throw new SchedulerException("qstat -f -xml: a queue instance without a name");
            }
            found.add(new QueueInstance(name, count(ownText(queue, "slots_used")), count(ownText(queue, "slots_total")),
                    ownText(queue, "state")));
        }
        return found;
    }

    private static int count(String text) {
        return text.matches("\\d{1,9}") ? Integer.parseInt(text) : 0;
    }

    private static Document parse(String xml, String what) throws SchedulerException {
        try {
            DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
            factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
            factory.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
            factory.setXIncludeAware(false);
            factory.setExpandEntityReferences(false);
            factory.setNamespaceAware(false);
            DocumentBuilder builder = factory.newDocumentBuilder();
            builder.setErrorHandler(null);
            return builder.parse(new InputSource(new StringReader(xml.substring(Math.max(0, xml.indexOf('<'))))));
        } catch (ParserConfigurationException | SAXException | IOException e) {
            throw new SchedulerException(what + ": not the XML Grid Engine writes: "
                    + SafeText.escape(String.valueOf(e.getMessage())), e);
        }
    }

    /** The text of the first descendant named {@code name}, stripped; "" if there is none. */
    private static String text(Element parent, String name) {
        Element child = firstChildElement(parent, name);
        if (child == null) {
            NodeList any = parent.getElementsByTagName(name);
            child = any.getLength() == 0 ? null : (Element) any.item(0);
        }
        return child == null ? "" : child.getTextContent().strip();
    }

    /** The text of {@code parent}'s own child {@code name} (not a descendant's); "" if it has none. */
    private static String ownText(Element parent, String name) {
        Element child = firstChildElement(parent, name);
        return child == null ? "" : child.getTextContent().strip();
    }

    private static Element firstChildElement(Element parent, String name) {
        for (Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element e && e.getTagName().equals(name)) {
                return e;
            }
        }
        return null;
    }
}
