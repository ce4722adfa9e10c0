// Renders FreeMarker templates the way Alfresco's repository template service configures FreeMarker,
// so that tests can compare our renderer with the real engine byte for byte.
//
// Run in single-file source mode, with Debian's libfreemarker-java on the class path:
//
//   java -cp /usr/share/java/freemarker.jar tests/freemarker/Render.java --version
//   java -cp /usr/share/java/freemarker.jar tests/freemarker/Render.java JOBS_FILE
//
// JOBS_FILE holds one job per line, five fields separated by tabs:
//
//   template-file  locale  time-zone  model-json-file  output-file
//
// The template file is read as UTF-8 and named after its file name. The locale is written like
// `pt_BR` and the time zone is an IANA name. The output is written to output-file as UTF-8; when the
// template fails, the error message is written to output-file + ".error" instead.
//
// The model JSON maps strings, booleans, arrays, objects and null to their Java counterparts; whole
// numbers become Long and other numbers Double. Objects with one of these keys are special values:
//   {"$date": <epoch milliseconds>, "$type": "unknown" | "date" | "time" | "datetime"}
//   {"$decimal": "<decimal text>"}   (a BigDecimal)
//
// Configuration mirrored from Alfresco (repository module, org.alfresco.repo.template.FreeMarkerProcessor):
// `new Configuration()`, a plain `DefaultObjectWrapper` (Alfresco's QNameAwareObjectWrapper delegates to
// one), the rethrow exception handler, localized lookup off, incompatible improvements 2.3.20, the
// SAFER class resolver; the locale is set on the processing environment. Alfresco sets no number,
// date or time format, no output encoding and no time zone, so FreeMarker's defaults and the JVM's time
// zone apply; the harness sets the time zone explicitly instead of relying on the JVM default.

import freemarker.core.Environment;
import freemarker.core.TemplateClassResolver;
import freemarker.template.Configuration;
import freemarker.template.DefaultObjectWrapper;
import freemarker.template.Template;
import freemarker.template.TemplateExceptionHandler;
import freemarker.template.Version;

import java.io.StringReader;
import java.io.StringWriter;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TimeZone;

public class Render {

    public static void main(String[] args) throws Exception {
        if (args.length == 1 && args[0].equals("--version")) {
            System.out.println(Configuration.getVersion());
            return;
        }
        if (args.length != 1) {
            System.err.println("usage: Render (--version | JOBS_FILE)");
            System.exit(2);
        }
        for (String line : Files.readAllLines(Path.of(args[0]), StandardCharsets.UTF_8)) {
            if (line.isEmpty()) {
                continue;
            }
            String[] f = line.split("\t", -1);
            if (f.length != 5) {
                throw new IllegalArgumentException("bad job line: " + line);
            }
            runJob(Path.of(f[0]), parseLocale(f[1]), TimeZone.getTimeZone(f[2]), Path.of(f[3]), Path.of(f[4]));
        }
    }

    @SuppressWarnings("deprecation")
    private static Configuration alfrescoConfiguration(TimeZone zone) {
        Configuration config = new Configuration();
        config.setObjectWrapper(new DefaultObjectWrapper());
        config.setTemplateExceptionHandler(TemplateExceptionHandler.RETHROW_HANDLER);
        config.setLocalizedLookup(false);
        config.setIncompatibleImprovements(new Version(2, 3, 20));
        config.setNewBuiltinClassResolver(TemplateClassResolver.SAFER_RESOLVER);
        config.setTimeZone(zone);
        // Not Alfresco's setting; it only keeps failing templates out of the log.
        config.setLogTemplateExceptions(false);
        return config;
    }

    private static void runJob(Path templateFile, Locale locale, TimeZone zone, Path modelFile, Path out)
            throws Exception {
        String text = Files.readString(templateFile, StandardCharsets.UTF_8);
        Object model = new Json(Files.readString(modelFile, StandardCharsets.UTF_8)).value();
        Path errorFile = Path.of(out.toString() + ".error");
        try {
            Configuration config = alfrescoConfiguration(zone);
            Template t = new Template(templateFile.getFileName().toString(), new StringReader(text), config);
            StringWriter w = new StringWriter();
            Environment env = t.createProcessingEnvironment(model, w);
            env.setLocale(locale);
            env.process();
            Files.writeString(out, w.toString(), StandardCharsets.UTF_8);
            Files.deleteIfExists(errorFile);
        } catch (Exception e) {
            Files.writeString(errorFile, String.valueOf(e.getMessage()), StandardCharsets.UTF_8);
            Files.deleteIfExists(out);
        }
    }

    private static Locale parseLocale(String s) {
        String[] p = s.split("_", 3);
        if (p.length == 1) {
            return new Locale(p[0]);
        } else if (p.length == 2) {
            return new Locale(p[0], p[1]);
        }
        return new Locale(p[0], p[1], p[2]);
    }

    /** A small JSON reader producing the Java values listed at the top of this file. */
    private static final class Json {
        private final String s;
        private int i;

        Json(String s) {
            this.s = s;
        }

        Object value() {
            skip();
            char c = s.charAt(i);
            if (c == '{') {
                return object();
            } else if (c == '[') {
                List<Object> list = new ArrayList<>();
                i++;
                skip();
                if (s.charAt(i) == ']') {
                    i++;
                    return list;
                }
                while (true) {
                    list.add(value());
                    skip();
                    char d = s.charAt(i++);
                    if (d == ']') {
                        return list;
                    }
                    if (d != ',') {
                        throw new IllegalArgumentException("bad JSON at " + i);
                    }
                }
            } else if (c == '"') {
                return string();
            } else if (s.startsWith("true", i)) {
                i += 4;
                return Boolean.TRUE;
            } else if (s.startsWith("false", i)) {
                i += 5;
                return Boolean.FALSE;
            } else if (s.startsWith("null", i)) {
                i += 4;
                return null;
            }
            int start = i;
            while (i < s.length() && "+-0123456789.eE".indexOf(s.charAt(i)) >= 0) {
                i++;
            }
            String num = s.substring(start, i);
            if (num.matches("-?[0-9]+")) {
                return Long.valueOf(num);
            }
            return Double.valueOf(num);
        }

        private Object object() {
            Map<String, Object> map = new LinkedHashMap<>();
            i++;
            skip();
            if (s.charAt(i) == '}') {
                i++;
            } else {
                while (true) {
                    skip();
                    String key = string();
                    skip();
                    if (s.charAt(i++) != ':') {
                        throw new IllegalArgumentException("bad JSON at " + i);
                    }
                    map.put(key, value());
                    skip();
                    char d = s.charAt(i++);
                    if (d == '}') {
                        break;
                    }
                    if (d != ',') {
                        throw new IllegalArgumentException("bad JSON at " + i);
                    }
                }
            }
            if (map.containsKey("$date")) {
                long millis = ((Number) map.get("$date")).longValue();
                switch (String.valueOf(map.get("$type"))) {
                    case "date": return new java.sql.Date(millis);
                    case "time": return new java.sql.Time(millis);
                    case "datetime": return new java.sql.Timestamp(millis);
                    default: return new java.util.Date(millis);
                }
            }
            if (map.containsKey("$decimal")) {
                return new BigDecimal((String) map.get("$decimal"));
            }
            return new HashMap<>(map);
        }

        private String string() {
            if (s.charAt(i++) != '"') {
                throw new IllegalArgumentException("expected a string at " + i);
            }
            StringBuilder b = new StringBuilder();
            while (true) {
                char c = s.charAt(i++);
                if (c == '"') {
                    return b.toString();
                }
                if (c != '\\') {
                    b.append(c);
                    continue;
                }
                char e = s.charAt(i++);
                switch (e) {
                    case 'n': b.append('\n'); break;
                    case 'r': b.append('\r'); break;
                    case 't': b.append('\t'); break;
                    case 'b': b.append('\b'); break;
                    case 'f': b.append('\f'); break;
                    case 'u':
                        b.append((char) Integer.parseInt(s.substring(i, i + 4), 16));
                        i += 4;
                        break;
                    default: b.append(e);
                }
            }
        }

        private void skip() {
            while (i < s.length() && Character.isWhitespace(s.charAt(i))) {
                i++;
            }
        }
    }
}
