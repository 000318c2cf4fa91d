package dev.tandem.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tandem.feedback.store.FeedbackStore;
import dev.tandem.feedback.store.JdbcFeedbackStore;
import dev.tandem.feedback.store.StoreConfig;
import dev.tandem.loop.DemoConfig;
import dev.tandem.loop.DemoPrompts;
import dev.tandem.loop.LiveLoop;
import dev.tandem.model.Models;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.Keys;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.interactions.Actions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * {@code tandem serve --loop} in real headless Chromium with the REAL live loop (stories260K, a linear reward model,
 * one tiny PPO step): a person labels pairs written by policy v0 on the annotation page, the reward model retrains in
 * the background, a policy round follows, and the dashboard shows versions v1 with samples of v1 beside v0.
 */
class LoopBrowserTest {
    static final int LABELS = 6;     // K = 4 triggers the retrain; two more in case the first 4 hold out too many
    static final int K = 4;

    @Test
    void labellingInTheBrowserRetrainsTheRewardModelAndTheDashboardShowsTheNewPolicy(@TempDir Path tmp) throws Exception {
        Browser.requireBinaries();
        requireModel();
        DemoConfig training = DemoConfig.builder(tmp.resolve("loop")).steps(1).batchSize(8).ppoMinibatches(2)
                .ppoEpochs(1).maxNewTokens(16).seed(3).build();
        LiveLoop.Config cfg = new LiveLoop.Config(tmp.resolve("loop"), "live-stories", DemoPrompts.standard().train(),
                4, 6, K, 1, training);
        FeedbackStore store = JdbcFeedbackStore.open(StoreConfig.of(TestDb.sqlite(tmp).url()).withMaxPoolSize(8));
        LiveLoop loop;
        try {
            loop = LiveLoop.open(store, cfg);
        } catch (Exception e) {
            store.close();
            throw e;
        }
        Fixture f = new Fixture(store, ServerConfig.ephemeral(), ServedLoop.of(loop::status, loop::history));
        ChromeDriver driver = null;
        try {
            loop.start(Duration.ofMillis(250));
            driver = Browser.start(tmp.resolve("chrome-profile"), 1360, 1500);
            WebDriverWait wait = new WebDriverWait(driver, Duration.ofSeconds(20));
            wait.ignoring(StaleElementReferenceException.class); // the pages re-render while polling
            long ds = loop.dataset().id();
            Client alice = f.annotator("alice");

            // A person labels pairs from policy v0 by keyboard: the longer story wins (a taste the reward model can learn).
            Browser.login(driver, wait, f, alice);
            driver.get(f.server.uri() + "/annotate.html?dataset=" + ds);
            String previous = "";
            for (int i = 0; i < LABELS; i++) {
                previous = awaitNextTask(driver, i, previous);
                List<String> shown = texts(driver, "#responses .response .text");
                new Actions(driver).sendKeys(shown.get(0).length() >= shown.get(1).length() ? "1" : "2").perform();
                new Actions(driver).sendKeys(Keys.ENTER).perform();
            }
            wait.until(d -> d.findElement(By.id("progress")).getText().equals(LABELS + " done today"));
            Browser.assertNoConsoleErrors(driver);

            // An annotator cannot open the dashboard, nor read the loop's versions.
            driver.get(f.server.uri() + "/dashboard.html");
            wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("forbidden")));
            assertFalse(driver.findElement(By.id("loop")).isDisplayed());
            assertEquals(403, alice.get("/api/loop/status").status());

            // The admin watches the dashboard while the loop trains in the background: it polls and moves to v1.
            Browser.login(driver, wait, f, f.admin);
            driver.get(f.server.uri() + "/dashboard.html");
            wait.until(d -> "true".equals(d.findElement(By.tagName("body")).getAttribute("data-ready")));
            new WebDriverWait(driver, Duration.ofSeconds(90)).ignoring(StaleElementReferenceException.class).until(d -> {
                WebElement body = d.findElement(By.tagName("body"));
                if (loop.status().lastError() != null) fail("the loop failed: " + loop.status().lastError());
                return "v1".equals(body.getAttribute("data-policy-version"))
                        && d.findElements(By.cssSelector("#sample-table tbody tr")).size() == 3;
            });
            // read in single scripts: the dashboard re-renders on every poll, so element handles can go stale
            assertEquals(List.of("v1"), texts(driver, "#kpi-policy .value"));
            assertTrue(texts(driver, "#kpi-rm .value").get(0).matches("v[12]"));
            for (List<String> cells : rows(driver, "#sample-table")) {
                assertEquals(3, cells.size());
                assertFalse(cells.get(0).isBlank() || cells.get(1).isBlank() || cells.get(2).isBlank());
            }
            assertEquals("v1 (tuned)", driver.findElement(By.id("sample-head")).getAttribute("textContent"));
            for (String chart : List.of("chart-judgements", "chart-accuracy", "chart-rounds", "chart-versions"))
                assertFalse(driver.findElements(By.cssSelector("#" + chart + " canvas")).isEmpty(), chart + " has no chart");
            assertTrue(driver.findElements(By.cssSelector("#sample-table script, #sample-table img, #sample-table b")).isEmpty());
            List<String> versions = rows(driver, "#version-table").stream().map(r -> r.get(1) + " " + r.get(2)).toList();
            assertTrue(versions.containsAll(List.of("policy v0", "reward-model v1", "policy v1")), versions.toString());
            Thread.sleep(300); // let the last chart paint
            Files.copy(driver.getScreenshotAs(OutputType.FILE).toPath(), Browser.screenshotDir().resolve("dashboard.png"),
                    StandardCopyOption.REPLACE_EXISTING);
            Browser.assertNoConsoleErrors(driver);

            // The same over HTTP: what the dashboard drew came from the real loop.
            JsonNode status = f.admin.get("/api/loop/status").json();
            assertEquals("v1", status.get("policyVersion").asText());
            assertTrue(status.get("judgements").asInt() >= LABELS);
            JsonNode history = f.admin.get("/api/loop/history").json();
            JsonNode rm1 = history.at("/rewardModels/0");
            assertEquals(1, rm1.get("version").asInt());
            assertTrue(rm1.get("heldOutPairs").asInt() >= 1, rm1.toString());
            assertTrue(rm1.get("heldOutAccuracy").isNumber(), rm1.toString());
            assertEquals(1, history.at("/policyRounds/0/steps").asInt());
            assertTrue(history.at("/policyRounds/0/kl").isNumber(), history.at("/policyRounds/0").toString());
            assertEquals(3, history.at("/samples/0/pairs").size());
            assertTrue(Files.isRegularFile(cfg.dir().resolve("history.json")));
        } finally {
            if (driver != null) driver.quit();
            loop.close();
            f.close();
        }
    }

    /**
     * Waits until the annotation page shows a task other than {@code previous}, idle and with both responses, after
     * {@code done} labels; returns its assignment id. The progress counter moves before the next task has loaded, so
     * keys sent on the counter alone can land on the old task or while the page is busy, and be lost.
     */
    static String awaitNextTask(ChromeDriver driver, int done, String previous) {
        String progress = done + " done today";
        // generous: only a failure waits it out, and a fresh CI machine's first browser start is slow
        return new WebDriverWait(driver, Duration.ofSeconds(45)).ignoring(StaleElementReferenceException.class)
                .withMessage(() -> "waiting for task " + (done + 1) + "; the page shows: " + driver.executeScript(
                        "const t = document.getElementById('task'); return [document.getElementById('progress').textContent,"
                        + " 'assignment ' + t.dataset.assignment, 'busy ' + t.getAttribute('aria-busy'),"
                        + " 'status ' + (document.getElementById('status') || {}).textContent,"
                        + " 'empty ' + !document.getElementById('empty').classList.contains('hidden')].join(' | ');"))
                .until(d -> {
                    WebElement task = d.findElement(By.id("task"));
                    String shown = task.getAttribute("data-assignment");
                    boolean ready = d.findElement(By.id("progress")).getText().equals(progress) && shown != null
                            && !shown.equals(previous) && "false".equals(task.getAttribute("aria-busy"))
                            && d.findElements(By.cssSelector("#responses .response .text")).size() == 2;
                    return ready ? shown : null;
                });
    }

    /** Model text and error messages with markup are shown on the dashboard as text and never run. */
    @Test
    void dashboardShowsModelTextAsTextNeverAsMarkup(@TempDir Path tmp) throws Exception {
        Browser.requireBinaries();
        String img = "<img src=x onerror=\"window.__pwned = 1; document.title = 'pwned'\">";
        String script = "<script>window.__pwned = 2;</script><b>bold</b>";
        String now = java.time.Instant.now().toString();
        LiveLoop.Status status = new LiveLoop.Status("live <b>x</b>", 1, "stories260K", "ppo", "v1", 1, 7, 6, 0, 3, 6,
                1, false, "boom " + img);
        LiveLoop.History history = new LiveLoop.History(List.of(new LiveLoop.JudgementPoint(now, 7)),
                List.of(new LiveLoop.RewardModelVersion(1, now, 6, 5, 1, 1.0, 0.5, false, 0.1)),
                List.of(new LiveLoop.PolicyRound(1, now, "ppo", 1, 1, 0.2, 0.01, List.of(new LiveLoop.CurvePoint(1, 0.2, 0.01)), 1)),
                List.of(new LiveLoop.VersionEvent("policy", "v0", now, "the original"),
                        new LiveLoop.VersionEvent("reward-model", "v1", now, img),
                        new LiveLoop.VersionEvent("policy", "v1", now, "ppo")),
                List.of(new LiveLoop.SampleSet(1, now, List.of(new LiveLoop.SidePair("Once " + script, img, script)))));
        try (Fixture f = new Fixture(JdbcFeedbackStore.open(StoreConfig.of(TestDb.sqlite(tmp).url())), ServerConfig.ephemeral(),
                ServedLoop.of(() -> status, () -> history))) {
            ChromeDriver driver = Browser.start(tmp.resolve("chrome-profile"), 1360, 1200);
            try {
                WebDriverWait wait = new WebDriverWait(driver, Duration.ofSeconds(20));
                wait.ignoring(StaleElementReferenceException.class);
                Browser.login(driver, wait, f, f.admin);
                driver.get(f.server.uri() + "/dashboard.html");
                wait.until(d -> "v1".equals(d.findElement(By.tagName("body")).getAttribute("data-policy-version"))
                        && d.findElements(By.cssSelector("#sample-table tbody tr")).size() == 1);
                List<String> cells = rows(driver, "#sample-table").get(0);
                assertEquals("Once " + script, cells.get(0));
                assertEquals(img, cells.get(1));
                assertEquals(script, cells.get(2));
                assertTrue(driver.findElement(By.id("last-error")).getText().contains(img));
                assertTrue(driver.findElement(By.id("loop-summary")).getText().contains("live <b>x</b>"));
                assertTrue(driver.findElements(By.cssSelector("main img, main script, main b")).isEmpty(), "model text became markup");
                assertEquals(null, driver.executeScript("return window.__pwned === undefined ? null : window.__pwned;"));
                assertFalse(driver.getTitle().contains("pwned"));
                Browser.assertNoConsoleErrors(driver);
            } finally {
                driver.quit();
            }
        }
    }

    /** The model this test trains: missing data fails under CI=true and skips the test otherwise. */
    static void requireModel() {
        for (String rel : List.of("models/stories260K/stories260K.bin", "models/stories260K/tok512.bin")) {
            Path p = Models.dataDir().resolve(rel);
            if (Files.exists(p)) continue;
            String msg = "real data " + p + " not found; set TANDEM_DATA_DIR to the shared data directory";
            if ("true".equalsIgnoreCase(System.getenv("CI"))) fail(msg + "; CI=true, so this is a failure");
            Assumptions.abort(msg);
        }
    }

    /** The rendered texts of the elements matching a selector, read in one script run. */
    @SuppressWarnings("unchecked")
    static List<String> texts(ChromeDriver driver, String css) {
        return (List<String>) driver.executeScript(
                "return Array.from(document.querySelectorAll(arguments[0]), e => e.innerText);", css);
    }

    /** The rendered texts of a table's body cells, row by row, read in one script run. */
    @SuppressWarnings("unchecked")
    static List<List<String>> rows(ChromeDriver driver, String table) {
        return (List<List<String>>) driver.executeScript("return Array.from(document.querySelectorAll(arguments[0] + "
                + "' tbody tr'), r => Array.from(r.cells, c => c.innerText));", table);
    }
}
