package dev.tandem.server;

import static dev.tandem.server.Client.obj;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tandem.feedback.Judgement;
import dev.tandem.feedback.JudgementPayload;
import dev.tandem.feedback.Task;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.Keys;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.interactions.Actions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The web UI in real headless Chromium: pairwise and ranking tasks completed with the keyboard only, the stored
 * judgements checked in the store, injected markup shown as text and never run, and screenshots for the README.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BrowserTest {
    static final String SCRIPT_ATTACK = "Here is my story.\n<script>window.__pwned = 1; document.title = 'pwned';</script>\nThe end.";
    static final String IMG_ATTACK = "A picture: <img src=x onerror=\"window.__pwned = 2; document.title = 'pwned'\"> and <b>bold</b> text.";

    Path dir;
    Fixture f;
    ChromeDriver driver;
    WebDriverWait wait;

    @BeforeAll
    void start(@TempDir Path tmp) throws Exception {
        Browser.requireBinaries();
        dir = tmp;
        f = new Fixture(TestDb.sqlite(dir).url(), ServerConfig.ephemeral());
        driver = Browser.start(dir.resolve("chrome-profile"), 1360, 940);
        wait = new WebDriverWait(driver, Duration.ofSeconds(15));
    }

    @AfterAll
    void stop() {
        if (driver != null) driver.quit();
        if (f != null) f.close();
    }

    @Test
    void pairwiseTasksByKeyboardWithInjectedMarkupShownAsText() throws Exception {
        long ds = f.dataset("bedtime-stories", Map.of("overlap", 1));
        Map<String, Object> story = new java.util.LinkedHashMap<>(Stories.pairwiseTask());
        story.put("priority", 10);
        Map<String, Object> attack = obj("kind", "pairwise", "prompt", "Tell a story. <script>document.title='pwned'</script>",
                "responses", List.of(obj("text", SCRIPT_ATTACK), obj("text", IMG_ATTACK)));
        List<Long> tasks = f.addTasks(ds, List.of(story, attack));
        Client alice = f.annotator("alice");
        long aliceId = f.annotatorId(alice);

        login(alice);
        driver.get(f.server.uri() + "/annotate.html?dataset=" + ds);
        waitForText("prompt", Stories.PROMPT);
        assertEquals("0 done today", driver.findElement(By.id("progress")).getText());
        List<String> shown = responseTexts();
        assertEquals(2, shown.size());
        String aText = shown.get(0);

        // Help overlay on '?', closed again with '?'.
        keys("?");
        assertTrue(driver.findElement(By.id("help")).isDisplayed());
        assertTrue(driver.findElement(By.id("help-keys")).getText().contains("A is better"));
        keys("?");
        assertFalse(driver.findElement(By.id("help")).isDisplayed());

        // Choose the better story (whichever side it is on) clearly, by keyboard only.
        boolean goodIsA = normalise(aText).equals(normalise(Stories.GOOD));
        keys(goodIsA ? "1" : "2");
        keys("c");
        assertTrue(driver.findElement(By.id(goodIsA ? "response-0" : "response-1")).getAttribute("class").contains("selected"));
        Path shot = Browser.screenshotDir().resolve("annotate-pairwise.png");
        Files.copy(driver.getScreenshotAs(OutputType.FILE).toPath(), shot, StandardCopyOption.REPLACE_EXISTING);
        keys(Keys.ENTER);

        // The next task carries script and img payloads: shown as text, never run.
        waitForText("prompt", "Tell a story.");
        assertEquals("1 done today", driver.findElement(By.id("progress")).getText());
        List<String> attackShown = responseTexts();
        assertTrue(attackShown.stream().anyMatch(t -> t.contains("<script>window.__pwned = 1; document.title = 'pwned';</script>")), attackShown.toString());
        assertTrue(attackShown.stream().anyMatch(t -> t.contains("<img src=x onerror=")), attackShown.toString());
        assertTrue(driver.findElement(By.id("prompt")).getText().contains("<script>document.title='pwned'</script>"));
        assertTrue(driver.findElements(By.cssSelector("#task img, #task b, #task script")).isEmpty(), "model output became markup");
        assertNull(driver.executeScript("return window.__pwned === undefined ? null : window.__pwned;"));
        assertFalse(driver.getTitle().contains("pwned"), driver.getTitle());
        // Newlines are kept (white-space: pre-wrap).
        String scriptSide = attackShown.get(0).contains("<script>") ? "response-0" : "response-1";
        assertEquals("pre-wrap", driver.findElement(By.cssSelector("#" + scriptSide + " .text")).getCssValue("white-space"));
        assertTrue(driver.findElement(By.cssSelector("#" + scriptSide + " .text")).getText().contains("Here is my story.\n<script>"));
        keys("t");
        keys(Keys.ENTER);
        wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("empty")));
        assertEquals("2 done today", driver.findElement(By.id("progress")).getText());
        assertNull(driver.executeScript("return window.__pwned === undefined ? null : window.__pwned;"));
        Browser.assertNoConsoleErrors(driver);

        // What was stored: one judgement per task, in the order shown, mapped back to the task's order.
        List<Judgement> js = f.store.judgementsBy(aliceId);
        assertEquals(2, js.size());
        Judgement first = js.stream().filter(j -> j.taskId() == tasks.get(0)).findFirst().orElseThrow();
        assertEquals(normalise(aText), normalise(first.shown().responseTexts().get(0)), "stored display order = order on screen");
        Task storyTask = f.store.task(tasks.get(0)).orElseThrow();
        JudgementPayload.Pairwise canonical = (JudgementPayload.Pairwise) first.inTaskOrder(storyTask);
        assertEquals(JudgementPayload.Choice.A, canonical.choice(), "the better story is first in task order");
        assertEquals(JudgementPayload.Strength.CLEARLY, canonical.strength());
        assertTrue(first.durationMillis() > 0);
        Judgement second = js.stream().filter(j -> j.taskId() == tasks.get(1)).findFirst().orElseThrow();
        assertEquals(JudgementPayload.Choice.TIE, ((JudgementPayload.Pairwise) second.payload()).choice());
        assertTrue(Files.size(shot) > 20_000, "screenshot " + shot);
    }

    @Test
    void rankingTasksByKeyboardIncludingTiesAndUndo() throws Exception {
        long ds = f.dataset("sandcastle-rankings", Map.of("overlap", 1));
        List<Map<String, Object>> rs = Stories.RANKED.stream().<Map<String, Object>>map(t -> obj("text", t)).toList();
        List<Long> tasks = f.addTasks(ds, List.of(
                obj("kind", "ranking", "prompt", Stories.RANK_PROMPT, "responses", rs, "priority", 2),
                obj("kind", "ranking", "prompt", "Rank these endings (two are equally good).", "responses",
                        List.of(obj("text", "They all lived happily ever after."), obj("text", "And they were happy forever."),
                                obj("text", "The end came. Bad.")), "priority", 1)));
        Client bob = f.annotator("bob");
        long bobId = f.annotatorId(bob);
        login(bob);
        driver.get(f.server.uri() + "/annotate.html?dataset=" + ds);
        waitForText("prompt", "Lily wanted to build");
        List<String> shown = responseTexts();
        // Press the displayed numbers of the responses from best to worst (RANKED is best first); a wrong first
        // pick is undone with Backspace. The last response is implied.
        String wrong = String.valueOf(shownIndex(shown, Stories.RANKED.get(3)) + 1);
        keys(wrong);
        keys(Keys.BACK_SPACE);
        for (int r = 0; r < 3; r++) {
            keys(String.valueOf(shownIndex(shown, Stories.RANKED.get(r)) + 1));
            if (r == 1) Files.copy(driver.getScreenshotAs(OutputType.FILE).toPath(), Browser.screenshotDir().resolve("annotate-ranking.png"),
                    StandardCopyOption.REPLACE_EXISTING);
        }
        assertEquals("4th", driver.findElement(By.cssSelector("#response-" + shownIndex(shown, Stories.RANKED.get(3)) + " .rank")).getText());
        keys(Keys.ENTER);

        waitForText("prompt", "two are equally good");
        List<String> endings = responseTexts();
        int happy = shownIndex(endings, "They all lived happily ever after.");
        int forever = shownIndex(endings, "And they were happy forever.");
        keys(String.valueOf(happy + 1));
        keys("=");
        keys(String.valueOf(forever + 1));
        assertTrue(driver.findElement(By.cssSelector("#response-" + forever + " .rank")).getText().contains("tie"));
        keys(Keys.ENTER);
        wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("empty")));

        List<Judgement> js = f.store.judgementsBy(bobId);
        assertEquals(2, js.size());
        Judgement sand = js.stream().filter(j -> j.taskId() == tasks.get(0)).findFirst().orElseThrow();
        assertEquals(List.of(0, 1, 2, 3), ((JudgementPayload.Ranking) sand.inTaskOrder(f.store.task(tasks.get(0)).orElseThrow())).ranks());
        Judgement ends = js.stream().filter(j -> j.taskId() == tasks.get(1)).findFirst().orElseThrow();
        assertEquals(List.of(0, 0, 1), ((JudgementPayload.Ranking) ends.inTaskOrder(f.store.task(tasks.get(1)).orElseThrow())).ranks());
        Browser.assertNoConsoleErrors(driver);
    }

    @Test
    void adminDashboardShowsAgreementWithChartsAndAnnotatorsCannotOpenIt() throws Exception {
        long ds = f.dataset("story-preferences", Map.of("overlap", 3, "goldRate", 0.25));
        List<Map<String, Object>> tasks = new ArrayList<>(Stories.manyPairwise(16, "admin"));
        for (int i = 0; i < 4; i++) {
            Map<String, Object> g = new java.util.LinkedHashMap<>(Stories.manyPairwise(1, "gold" + i).get(0));
            g.put("goldAnswer", obj("kind", "pairwise", "choice", "a")); // the ball story is first: it is the better one
            tasks.add(g);
        }
        f.addTasks(ds, tasks);
        // Three simulated annotators: one careful, one who errs now and then, one who mostly picks whatever is shown
        // first. The "true" preference: the ball story, except on prompts numbered 2, 5, 8, ... (the bird story).
        String[] names = {"sim-maria", "sim-kenji", "sim-amara"};
        int k = 0;
        for (int who = 0; who < names.length; who++) {
            Client c = f.annotator(names[who], "simulated");
            for (JsonNode t; (t = Fixture.next(c, ds)) != null; k++) {
                boolean ballFirst = t.get("responses").get(0).get("text").asText().contains("red ball");
                String prompt = t.get("prompt").asText();
                int number = Integer.parseInt(prompt.substring(prompt.indexOf('#') + 1, prompt.indexOf(':')));
                boolean firstIsBetter = ballFirst ^ (number % 3 == 2);
                String choice = switch (who) {
                    case 0 -> firstIsBetter ? "a" : "b";
                    case 1 -> firstIsBetter ^ (k % 5 == 0) ? "a" : "b";
                    default -> k % 4 == 0 ? "tie" : k % 4 == 1 ? (firstIsBetter ? "a" : "b") : "a";
                };
                assertEquals(201, Fixture.submit(c, t.get("assignment").get("id").asLong(), "adm-" + k, obj("kind", "pairwise", "choice", choice)).status());
            }
        }
        JsonNode stats = f.admin.get("/api/datasets/" + ds + "/stats").json();

        driver.manage().window().setSize(new org.openqa.selenium.Dimension(1360, 2100));
        try {
            login(f.admin);
            driver.get(f.server.uri() + "/admin.html");
            wait.until(d -> "true".equals(d.findElement(By.tagName("body")).getAttribute("data-ready")));
            // Select this dataset explicitly (others from earlier tests may exist).
            WebElement row = driver.findElement(By.cssSelector("#dataset-table tr[data-id='" + ds + "'] button"));
            row.click();
            wait.until(d -> d.findElement(By.id("detail-title")).getText().contains("story-preferences"));
            String agreement = driver.findElement(By.cssSelector("#kpi-agreement .value")).getText();
            assertEquals(String.format(java.util.Locale.ROOT, "%.1f%%", 100 * stats.get("percentAgreement").asDouble()), agreement);
            String alpha = driver.findElement(By.cssSelector("#kpi-alpha .value")).getText();
            assertEquals(String.format(java.util.Locale.ROOT, "%.3f", stats.get("krippendorffAlpha").asDouble()), alpha);
            assertEquals(3, driver.findElements(By.cssSelector("#pair-table tbody tr")).size());
            for (String chart : List.of("chart-status", "chart-throughput", "chart-labels", "chart-side", "chart-kappa", "chart-gold"))
                assertFalse(driver.findElements(By.cssSelector("#" + chart + " canvas")).isEmpty(), chart + " has no chart");
            Thread.sleep(300); // let the last chart paint
            Files.copy(driver.getScreenshotAs(OutputType.FILE).toPath(), Browser.screenshotDir().resolve("admin.png"),
                    StandardCopyOption.REPLACE_EXISTING);
            Browser.assertNoConsoleErrors(driver);

            Client carol = f.annotator("carol");
            login(carol);
            driver.get(f.server.uri() + "/admin.html");
            wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("forbidden")));
            assertFalse(driver.findElement(By.id("admin")).isDisplayed());
        } finally {
            driver.manage().window().setSize(new org.openqa.selenium.Dimension(1360, 940));
        }
    }

    // ------------------------------------------------------------------ helpers

    /** Signs in through the login page by pasting the token. */
    void login(Client who) {
        Browser.login(driver, wait, f, who);
    }

    void keys(CharSequence k) {
        new Actions(driver).sendKeys(k).perform();
    }

    void waitForText(String id, String contains) {
        wait.until(d -> {
            WebElement e = d.findElement(By.id(id));
            return e.isDisplayed() && e.getText().contains(contains);
        });
    }

    List<String> responseTexts() {
        return driver.findElements(By.cssSelector("#responses .response .text")).stream().map(WebElement::getText).toList();
    }

    static int shownIndex(List<String> shown, String text) {
        for (int i = 0; i < shown.size(); i++) if (normalise(shown.get(i)).equals(normalise(text))) return i;
        throw new AssertionError("not shown: " + text + " in " + shown);
    }

    /** WebDriver's getText trims and collapses some whitespace; compare modulo that. */
    static String normalise(String s) {
        return s.replaceAll("\\s+", " ").strip();
    }
}
