package org.cryo.slurm;

import java.util.ArrayList;
import java.util.List;

/** Slurm's compressed host lists ("vm,node[1-3,7]") expanded, as {@code scontrol show hostnames} does. */
final class HostList {
    private HostList() {
    }

    static List<String> expand(String list) {
        List<String> hosts = new ArrayList<>();
        if (list == null || list.isBlank() || list.equals("(null)")) {
            return hosts;
        }
        for (String item : splitOutsideBrackets(list)) {
            int open = item.indexOf('[');
            if (open < 0) {
                hosts.add(item);
                continue;
            }
            String prefix = item.substring(0, open);
            String suffix = item.substring(item.indexOf(']') + 1);
            for (String range : item.substring(open + 1, item.indexOf(']')).split(",")) {
                addRange(hosts, prefix, range, suffix);
            }
        }
        return hosts;
    }

    /** "03-05" keeps its zero padding: node03, node04, node05. */
    private static void addRange(List<String> hosts, String prefix, String range, String suffix) {
        int dash = range.indexOf('-');
        if (dash < 0) {
            hosts.add(prefix + range + suffix);
            return;
        }
        String low = range.substring(0, dash);
        int high = Integer.parseInt(range.substring(dash + 1));
        for (int i = Integer.parseInt(low); i <= high; i++) {
            hosts.add(prefix + String.format("%0" + low.length() + "d", i) + suffix);
        }
    }

    private static List<String> splitOutsideBrackets(String list) {
        List<String> items = new ArrayList<>();
        int depth = 0;
        int start = 0;
        for (int i = 0; i < list.length(); i++) {
            char c = list.charAt(i);
            if (c == '[') {
                depth++;
            } else if (c == ']') {
                depth--;
            } else if (c == ',' && depth == 0) {
                items.add(list.substring(start, i));
                start = i + 1;
            }
        }
        items.add(list.substring(start));
        return items;
    }
}
