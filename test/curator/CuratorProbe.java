// One Curator 5 recipe, run by test/integration/recipes-curator.test.ts against Cairn's ZooKeeper
// port, so that the TypeScript recipes can be shown to cooperate with Curator's on the same paths.
//
//   java -cp <Curator, ZooKeeper and their dependencies' jars> CuratorProbe.java CONNECT COMMAND ARGS...
//
// It prints one JSON object per step ({"step": ..., "at": epoch ms, ...}) and exits 0 when done.

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.recipes.atomic.AtomicValue;
import org.apache.curator.framework.recipes.atomic.DistributedAtomicLong;
import org.apache.curator.framework.recipes.barriers.DistributedBarrier;
import org.apache.curator.framework.recipes.barriers.DistributedDoubleBarrier;
import org.apache.curator.framework.recipes.leader.LeaderLatch;
import org.apache.curator.framework.recipes.leader.LeaderSelector;
import org.apache.curator.framework.recipes.leader.LeaderSelectorListenerAdapter;
import org.apache.curator.framework.recipes.locks.InterProcessMutex;
import org.apache.curator.framework.recipes.locks.InterProcessReadWriteLock;
import org.apache.curator.framework.recipes.locks.InterProcessSemaphoreV2;
import org.apache.curator.framework.recipes.locks.Lease;
import org.apache.curator.framework.recipes.shared.SharedCount;
import org.apache.curator.framework.recipes.shared.VersionedValue;
import org.apache.curator.retry.ExponentialBackoffRetry;

public class CuratorProbe {
    static void step(String name, String extra) {
        System.out.println("{\"step\":\"" + name + "\",\"at\":" + System.currentTimeMillis() + (extra.isEmpty() ? "" : "," + extra) + "}");
        System.out.flush();
    }

    static void step(String name) {
        step(name, "");
    }

    public static void main(String[] args) throws Exception {
        String connect = args[0];
        String command = args[1];
        CuratorFramework client = CuratorFrameworkFactory.builder()
            .connectString(connect)
            .sessionTimeoutMs(10_000)
            .connectionTimeoutMs(15_000)
            .retryPolicy(new ExponentialBackoffRetry(100, 10))
            .build();
        client.start();
        if (!client.blockUntilConnected(30, TimeUnit.SECONDS)) throw new IllegalStateException("not connected");
        step("connected");
        try {
            run(client, command, args);
        } finally {
            client.close();
        }
        step("done");
    }

    static void run(CuratorFramework client, String command, String[] args) throws Exception {
        String path = args[2];
        switch (command) {
            case "mutex": {
                InterProcessMutex mutex = new InterProcessMutex(client, path);
                mutex.acquire();
                mutex.acquire(); // re-entrant
                step("acquired");
                Thread.sleep(Long.parseLong(args[3]));
                step("releasing");
                mutex.release();
                mutex.release();
                return;
            }
            case "rwlock": {
                InterProcessReadWriteLock lock = new InterProcessReadWriteLock(client, path);
                InterProcessMutex chosen = args[3].equals("read") ? lock.readLock() : lock.writeLock();
                chosen.acquire();
                step("acquired");
                Thread.sleep(Long.parseLong(args[4]));
                step("releasing");
                chosen.release();
                return;
            }
            case "semaphore": {
                InterProcessSemaphoreV2 semaphore = new InterProcessSemaphoreV2(client, path, Integer.parseInt(args[3]));
                Lease lease = semaphore.acquire();
                step("acquired");
                Thread.sleep(Long.parseLong(args[4]));
                step("releasing");
                semaphore.returnLease(lease);
                return;
            }
            case "latch": {
                LeaderLatch latch = new LeaderLatch(client, path, args[3]);
                latch.start();
                latch.await();
                step("leader", "\"leaderId\":\"" + latch.getLeader().getId() + "\"");
                Thread.sleep(Long.parseLong(args[4]));
                step("releasing");
                latch.close();
                return;
            }
            case "latch-participants": {
                LeaderLatch latch = new LeaderLatch(client, path, args[3]);
                latch.start();
                Thread.sleep(Long.parseLong(args[4]));
                StringBuilder ids = new StringBuilder();
                for (org.apache.curator.framework.recipes.leader.Participant participant : latch.getParticipants()) {
                    if (ids.length() > 0) ids.append(',');
                    ids.append("[\"").append(participant.getId()).append("\",").append(participant.isLeader()).append(']');
                }
                step("participants", "\"participants\":[" + ids + "],\"hasLeadership\":" + latch.hasLeadership());
                latch.close();
                return;
            }
            case "selector": {
                long holdMs = Long.parseLong(args[4]);
                Object done = new Object();
                LeaderSelector selector = new LeaderSelector(client, path, new LeaderSelectorListenerAdapter() {
                    @Override
                    public void takeLeadership(CuratorFramework framework) throws Exception {
                        step("leader");
                        Thread.sleep(holdMs);
                        step("releasing");
                        synchronized (done) {
                            done.notifyAll();
                        }
                    }
                });
                selector.setId(args[3]);
                synchronized (done) {
                    selector.start();
                    done.wait(120_000);
                }
                selector.close();
                return;
            }
            case "barrier-wait": {
                new DistributedBarrier(client, path).waitOnBarrier(60, TimeUnit.SECONDS);
                step("passed");
                return;
            }
            case "barrier-set":
                new DistributedBarrier(client, path).setBarrier();
                step("set");
                return;
            case "barrier-remove":
                new DistributedBarrier(client, path).removeBarrier();
                step("removed");
                return;
            case "double-barrier": {
                DistributedDoubleBarrier barrier = new DistributedDoubleBarrier(client, path, Integer.parseInt(args[3]));
                if (!barrier.enter(60, TimeUnit.SECONDS)) throw new IllegalStateException("enter timed out");
                step("entered");
                Thread.sleep(Long.parseLong(args[4]));
                step("leaving");
                if (!barrier.leave(60, TimeUnit.SECONDS)) throw new IllegalStateException("leave timed out");
                step("left");
                return;
            }
            case "shared-count-add": {
                SharedCount count = new SharedCount(client, path, 0);
                count.start();
                int times = Integer.parseInt(args[3]);
                for (int done = 0; done < times; ) {
                    VersionedValue<Integer> seen = count.getVersionedValue();
                    if (count.trySetCount(seen, seen.getValue() + 1)) done++;
                }
                step("counted", "\"value\":" + count.getCount());
                count.close();
                return;
            }
            case "atomic-long-add": {
                DistributedAtomicLong value = new DistributedAtomicLong(client, path, new ExponentialBackoffRetry(10, 29));
                int times = Integer.parseInt(args[3]);
                for (int index = 0; index < times; index++) {
                    AtomicValue<Long> result = value.increment();
                    if (!result.succeeded()) throw new IllegalStateException("increment failed");
                }
                step("counted", "\"value\":" + value.get().postValue());
                return;
            }
            case "children": {
                List<String> children = client.getChildren().forPath(path);
                step("children", "\"children\":" + children.size());
                return;
            }
            default:
                throw new IllegalArgumentException("unknown command " + command);
        }
    }
}
