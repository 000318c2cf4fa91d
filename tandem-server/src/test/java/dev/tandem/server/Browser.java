package dev.tandem.server;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.logging.Level;
import org.junit.jupiter.api.Assumptions;
import org.openqa.selenium.By;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * Headless Debian Chromium driven through Debian's chromedriver, both given explicitly so Selenium Manager never
 * downloads anything. Missing binaries fail the test when CI=true and skip it otherwise.
 */
final class Browser {
    static final File CHROMIUM = new File(System.getenv().getOrDefault("TANDEM_CHROMIUM", "/usr/bin/chromium"));
    static final File CHROMEDRIVER = new File(System.getenv().getOrDefault("TANDEM_CHROMEDRIVER", "/usr/bin/chromedriver"));

    private Browser() {}

    static void requireBinaries() {
        if (CHROMIUM.canExecute() && CHROMEDRIVER.canExecute()) return;
        String msg = "browser tests need " + CHROMIUM + " and " + CHROMEDRIVER
                + " (apt-get install -y chromium chromium-driver)";
        if ("true".equals(System.getenv("CI"))) fail(msg + "; CI=true, so this is a failure");
        Assumptions.abort(msg);
    }

    static ChromeDriver start(Path profile, int width, int height) throws IOException {
        requireBinaries();
        System.setProperty("SE_OFFLINE", "true");
        System.setProperty("webdriver.chrome.driver", CHROMEDRIVER.getAbsolutePath());
        Files.createDirectories(profile);
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM);
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
                "--disable-extensions", "--force-device-scale-factor=1", "--hide-scrollbars",
                "--window-size=" + width + "," + height, "--user-data-dir=" + profile.toAbsolutePath());
        options.setCapability("goog:loggingPrefs", Map.of("browser", "ALL"));
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(CHROMEDRIVER)
                .usingAnyFreePort()
                .withTimeout(Duration.ofSeconds(60))
                .build();
        ChromeDriver driver = new ChromeDriver(service, options);
        driver.manage().timeouts().scriptTimeout(Duration.ofSeconds(10));
        return driver;
    }

    /** Signs in through the login page by pasting the client's token; the page then moves to the home page. */
    static void login(ChromeDriver driver, WebDriverWait wait, Fixture f, Client who) {
        driver.get(f.server.uri() + "/login.html");
        driver.executeScript("localStorage.clear(); sessionStorage.clear();");
        driver.get(f.server.uri() + "/login.html");
        wait.until(ExpectedConditions.elementToBeClickable(By.id("token"))).sendKeys(who.token());
        driver.findElement(By.id("sign-in")).click();
        wait.until(ExpectedConditions.urlToBe(f.server.uri() + "/"));
    }

    /** Fails on any Content-Security-Policy report or severe console message (a missing favicon aside). */
    static void assertNoConsoleErrors(ChromeDriver driver) {
        List<String> bad = new ArrayList<>();
        for (LogEntry e : driver.manage().logs().get(LogType.BROWSER)) {
            String m = e.getMessage();
            if (m.contains("Content Security Policy") || (e.getLevel().intValue() >= Level.SEVERE.intValue() && !m.contains("favicon")))
                bad.add(e.getLevel() + " " + m);
        }
        assertTrue(bad.isEmpty(), "browser console: " + bad);
    }

    /** Where screenshots for the README go ({@code docs/screenshots} of the repository). */
    static Path screenshotDir() throws IOException {
        String configured = System.getProperty("tandem.screenshots");
        Path dir = configured != null ? Path.of(configured) : Path.of("target", "screenshots");
        Files.createDirectories(dir);
        return dir;
    }
}
