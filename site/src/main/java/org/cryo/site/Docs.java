package org.cryo.site;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.commonmark.ext.gfm.tables.TablesExtension;
import org.commonmark.parser.Parser;
import org.commonmark.renderer.html.HtmlRenderer;

/**
 * {@code /docs}: the repository's Markdown (README, docs/*.md, the adapters' guides) rendered to
 * HTML with commonmark, raw HTML in the Markdown escaped (a page of the console never runs what a
 * document holds).  Only the files listed at start are served: no path from the URL reaches the disk.
 */
final class Docs {
    private final Map<String, Path> pages = new LinkedHashMap<>();
    private final Map<String, Path> images = new LinkedHashMap<>();
    private final Parser parser;
    private final HtmlRenderer renderer;

    Docs(Path root) throws IOException {
        var extensions = List.of(TablesExtension.create());
        parser = Parser.builder().extensions(extensions).build();
        renderer = HtmlRenderer.builder().extensions(extensions).escapeHtml(true).sanitizeUrls(true).build();
        if (root == null) {
            return;
        }
        add("README", root.resolve("README.md"));
        Path pictures = root.resolve("docs/images");
        if (Files.isDirectory(pictures)) {
            try (var files = Files.list(pictures)) {
                files.filter(f -> f.getFileName().toString().matches("[A-Za-z0-9._-]+\\.png") && Files.isRegularFile(f))
                        .forEach(f -> images.put(f.getFileName().toString(), f));
            }
        }
        for (Path dir : List.of(root.resolve("docs"), root.resolve("plugin-slurm"), root.resolve("plugin-sge"),
                root.resolve("plugin-pbs"))) {
            if (Files.isDirectory(dir)) {
                try (var files = Files.list(dir)) {
                    files.filter(f -> f.getFileName().toString().endsWith(".md")).sorted()
                            .forEach(f -> add(name(root, f), f));
                }
            }
        }
    }

    private static String name(Path root, Path file) {
        String relative = root.relativize(file).toString();
        return relative.substring(0, relative.length() - 3).replace('/', '-');
    }

    private void add(String name, Path file) {
        if (Files.isRegularFile(file)) {
            pages.put(name, file);
        }
    }

    /** A picture of docs/images (PNG) the documents show; empty if there is no such one. */
    Optional<byte[]> image(String name) throws IOException {
        Path file = images.get(name);
        return file == null ? Optional.empty() : Optional.of(Files.readAllBytes(file));
    }

    List<String> names() {
        return List.copyOf(pages.keySet());
    }

    /** The page {@code name} as an HTML fragment; empty if there is no such page. */
    Optional<String> render(String name) throws IOException {
        Path file = pages.get(name);
        if (file == null) {
            return Optional.empty();
        }
        String html = renderer.render(parser.parse(Files.readString(file)));
        // links between documents ("docs/FORMAT.md", "../README.md") go to their rendered page
        for (String other : pages.keySet()) {
            String source = other.replaceFirst("^(docs|plugin-slurm|plugin-sge|plugin-pbs)-", "$1/") + ".md";
            html = html.replace("href=\"" + source, "href=\"/docs/" + other)
                    .replace("href=\"../" + source, "href=\"/docs/" + other);
        }
        html = html.replace("src=\"docs/images/", "src=\"/docs/images/").replace("src=\"images/", "src=\"/docs/images/")
                .replace("src=\"../docs/images/", "src=\"/docs/images/");
        return Optional.of(html);
    }
}
