package dev.tandem.feedback.store;

import dev.tandem.feedback.AssignedTask;
import dev.tandem.feedback.JudgementPayload;
import dev.tandem.feedback.Submission;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Child process for the two-process queue test: opens its own store on the same SQLite file, prints {@code READY},
 * waits for a line on stdin (the parent's "go"), then labels with one thread per annotator id until the queue is
 * empty, printing {@code J} after each judgement it stored and {@code DONE n} at the end. Each simulated annotator thinks for a millisecond after each
 * judgement, as people do: SQLite has no fair queue between processes, and a store that never pauses would keep the
 * write lock to itself while the other polls (see API.md, "Durability and concurrency notes").
 */
public final class QueueChild {
    public static void main(String[] args) throws Exception {
        String url = args[0];
        long dataset = Long.parseLong(args[1]);
        List<Long> annotators = new ArrayList<>();
        for (String a : args[2].split(",")) annotators.add(Long.parseLong(a));
        try (FeedbackStore store = JdbcFeedbackStore.open(url)) {
            System.out.println("READY");
            System.out.flush();
            if (new java.io.BufferedReader(new java.io.InputStreamReader(System.in)).readLine() == null) return;
            ExecutorService pool = Executors.newFixedThreadPool(annotators.size());
            CountDownLatch start = new CountDownLatch(1);
            List<Future<Integer>> done = new ArrayList<>();
            for (long who : annotators) done.add(pool.submit(() -> label(store, who, dataset, start, () -> System.out.println("J"))));
            start.countDown();
            int total = 0;
            for (Future<Integer> f : done) total += f.get();
            pool.shutdown();
            System.out.println("DONE " + total);
            System.out.flush();
        }
    }

    static int label(FeedbackStore store, long who, long dataset, CountDownLatch start, Runnable afterEach) throws InterruptedException {
        start.await();
        int n = 0;
        for (Optional<AssignedTask> t = store.nextTask(who, dataset); t.isPresent(); t = store.nextTask(who, dataset)) {
            long assignment = t.get().assignment().id();
            store.submit(who, new Submission(assignment, "q" + assignment, new JudgementPayload.Rating(4), 1, null));
            n++;
            afterEach.run();
            Thread.sleep(1);
        }
        return n;
    }
}
