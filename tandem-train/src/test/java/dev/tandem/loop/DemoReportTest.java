package dev.tandem.loop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.feedback.sim.GoldPreference;
import dev.tandem.feedback.sim.Lexicon;
import dev.tandem.reward.Evaluation;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DemoReportTest {

    @Test
    void modelTextIsEscapedAndEveryChartIsInlineSvg(@TempDir Path dir) throws Exception {
        String evil = "<script>alert('x')</script> & \"quotes\"";
        Evaluation.Report rm = new Evaluation.Report(4, 0, 0.75, 0.5, 0.3, 0.05, 0.1, 0.5, 0.5, 1, 1.0, -1, 0, 1,
                Evaluation.calibration(new double[] {0.6, 0.7, 0.9, 0.4}), List.of());
        List<PolicyStage.Point> curve = new ArrayList<>();
        for (int s = 1; s <= 5; s++) {
            curve.add(new PolicyStage.Point(1, s, s * 2.0, 0.1 * s, 0.05 * s, Map.of("loss/policy_avg", -0.01 * s)));
        }
        Demo.Round round = new Demo.Round(1, 10, 0, new FeedbackCollector.Collected(10, 10, 8, 10), 10, 8, rm, 0.8,
                1.0, curve, List.of("warning with <b>markup</b>"), 2.0, dir.resolve("round-1"));
        GoldEvaluation eval = new GoldEvaluation(new WinRate(3, 1, 1), 4.2, 0.3, 0.9, 0.4, 1.1, 0.1, 48, 47,
                List.of(new GoldEvaluation.Example("Once <upon> a time", evil, "Tim & Sam were happy.", 0.1, 0.9)));
        Demo.Result result = new Demo.Result(dir, dir.resolve("report.html"), dir.resolve("feedback.db"),
                List.of(round), eval, 12.0);
        DemoConfig cfg = DemoConfig.builder(dir).build();
        GoldJudge gold = new GoldJudge(new GoldPreference(Lexicon.of("toy", Map.of("happy", 2f)), 1f, 4f), "vader");
        DemoReport.write(result.report(), cfg, gold, DemoPrompts.standard(), result);

        String html = Files.readString(result.report());
        assertFalse(html.contains("<script"), "no raw script tag");
        assertFalse(html.contains("<b>markup"), "warnings are escaped too");
        assertTrue(html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;quotes&quot;"));
        assertTrue(html.contains("Once &lt;upon&gt; a time"));
        assertTrue(html.contains("Tim &amp; Sam were happy."));
        // charts: reward vs KL, rewards over steps, KL, losses, RM loss, calibration
        assertEquals(6, html.split("<svg ", -1).length - 1);
        assertTrue(html.contains("SIMULATED annotator"));
        assertTrue(html.contains("0.700 ± "), "win rate (3 + ½) / 5 with its standard error");
        assertFalse(Files.exists(dir.resolve(".report.html.tmp")));
    }
}
