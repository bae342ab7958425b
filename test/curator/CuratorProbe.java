// One Curator 5 recipe, run by test/integration/recipes-curator.test.ts against Cairn's ZooKeeper
// port, so that the TypeScript recipes can be shown to cooperate with Curator's on the same paths.
//
//   java -cp <Curator, ZooKeeper and their dependencies' jars> CuratorProbe.java CONNECT COMMAND ARGS...
//
// (the test compiles it once with javac and runs the class). It prints one JSON object per step
// ({"step": ..., "at": epoch ms, ...}) and exits 0 when done. A hold of "stdin" lasts until a line
// (or the end) arrives on stdin, so the test decides when a holder lets go.

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.recipes.atomic.AtomicValue;
import org.apache.curator.framework.recipes.atomic.DistributedAtomicLong;
import org.apache.curator.framework.recipes.barriers.DistributedBarrier;
import org.apache.curator.framework.recipes.cache.CuratorCache;
import org.apache.curator.framework.recipes.cache.CuratorCacheListener;
import org.apache.curator.framework.recipes.nodes.GroupMember;
import org.apache.curator.framework.recipes.queue.DistributedPriorityQueue;
import org.apache.curator.framework.recipes.queue.DistributedQueue;
import org.apache.curator.framework.recipes.queue.QueueBuilder;
import org.apache.curator.framework.recipes.queue.QueueConsumer;
import org.apache.curator.framework.recipes.queue.QueueSerializer;
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
import org.apache.curator.x.discovery.ServiceDiscovery;
import org.apache.curator.x.discovery.ServiceDiscoveryBuilder;
import org.apache.curator.x.discovery.ServiceInstance;
import org.apache.curator.x.discovery.UriSpec;
import org.apache.curator.x.discovery.details.JsonInstanceSerializer;

public class CuratorProbe {
    static final QueueSerializer<String> TEXT = new QueueSerializer<String>() {
        public byte[] serialize(String item) {
            return item.getBytes(StandardCharsets.UTF_8);
        }
        public String deserialize(byte[] bytes) {
            return new String(bytes, StandardCharsets.UTF_8);
        }
    };

    static void step(String name, String extra) {
        System.out.println("{\"step\":\"" + name + "\",\"at\":" + System.currentTimeMillis() + (extra.isEmpty() ? "" : "," + extra) + "}");
        System.out.flush();
    }

    static void step(String name) {
        step(name, "");
    }

    /** Holds for that many milliseconds, or with "stdin" until the test says so. */
    static void hold(String how) throws Exception {
        if (how.equals("stdin")) {
            new java.io.BufferedReader(new java.io.InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
            return;
        }
        Thread.sleep(Long.parseLong(how));
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

    @SuppressWarnings({"unchecked", "rawtypes"})
    static ServiceDiscovery<java.util.Map> discovery(CuratorFramework client, String basePath) throws Exception {
        ServiceDiscovery<java.util.Map> discovery = ServiceDiscoveryBuilder.builder(java.util.Map.class)
            .client(client).basePath(basePath).serializer(new JsonInstanceSerializer<>(java.util.Map.class)).build();
        discovery.start();
        return discovery;
    }

    static void run(CuratorFramework client, String command, String[] args) throws Exception {
        String path = args[2];
        switch (command) {
            case "mutex": {
                InterProcessMutex mutex = new InterProcessMutex(client, path);
                mutex.acquire();
                mutex.acquire(); // re-entrant
                step("acquired");
                hold(args[3]);
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
                hold(args[4]);
                step("releasing");
                chosen.release();
                return;
            }
            case "semaphore": {
                InterProcessSemaphoreV2 semaphore = new InterProcessSemaphoreV2(client, path, Integer.parseInt(args[3]));
                Lease lease = semaphore.acquire();
                step("acquired");
                hold(args[4]);
                step("releasing");
                semaphore.returnLease(lease);
                return;
            }
            case "latch": {
                LeaderLatch latch = new LeaderLatch(client, path, args[3]);
                latch.start();
                latch.await();
                step("leader", "\"leaderId\":\"" + latch.getLeader().getId() + "\"");
                hold(args[4]);
                step("releasing");
                latch.close();
                return;
            }
            case "latch-participants": {
                LeaderLatch latch = new LeaderLatch(client, path, args[3]);
                latch.start();
                hold(args[4]);
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
                hold(args[4]);
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
            case "discovery-register": {
                // base name id address port holdMs: registers one instance (payload: a map) and holds it.
                java.util.Map<String, Object> payload = new java.util.HashMap<>();
                payload.put("zone", "java-zone");
                ServiceInstance<java.util.Map> instance = ServiceInstance.<java.util.Map>builder()
                    .name(args[3]).id(args[4]).address(args[5]).port(Integer.parseInt(args[6])).payload(payload)
                    .uriSpec(new UriSpec("{scheme}://{address}:{port}/status")).build();
                ServiceDiscovery<java.util.Map> discovery = discovery(client, path);
                discovery.registerService(instance);
                step("registered");
                hold(args[7]);
                discovery.close();
                return;
            }
            case "discovery-query": {
                // base name: the instances Curator sees, as id@address:port zone
                ServiceDiscovery<java.util.Map> discovery = discovery(client, path);
                StringBuilder found = new StringBuilder();
                for (ServiceInstance<java.util.Map> instance : discovery.queryForInstances(args[3])) {
                    if (found.length() > 0) found.append(',');
                    Object zone = instance.getPayload() == null ? null : instance.getPayload().get("zone");
                    found.append("\"").append(instance.getId()).append('@').append(instance.getAddress()).append(':').append(instance.getPort())
                        .append(' ').append(zone).append(' ').append(instance.getServiceType()).append(' ').append(instance.buildUriSpec()).append("\"");
                }
                step("instances", "\"instances\":[" + found + "],\"names\":" + discovery.queryForNames().size());
                discovery.close();
                return;
            }
            case "queue-put": {
                DistributedQueue<String> queue = QueueBuilder.builder(client, null, TEXT, path).putInBackground(false).buildQueue();
                queue.start();
                for (int index = 3; index < args.length; index++) queue.put(args[index]);
                step("put");
                queue.close();
                return;
            }
            case "priority-put": {
                // priority:item ...
                DistributedPriorityQueue<String> queue = QueueBuilder.builder(client, null, TEXT, path).putInBackground(false).buildPriorityQueue(0);
                queue.start();
                for (int index = 3; index < args.length; index++) {
                    String[] pair = args[index].split(":", 2);
                    queue.put(pair[1], Integer.parseInt(pair[0]));
                }
                step("put");
                queue.close();
                return;
            }
            case "queue-take": {
                int expected = Integer.parseInt(args[3]);
                java.util.List<String> taken = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
                QueueConsumer<String> consumer = new QueueConsumer<String>() {
                    public void consumeMessage(String message) {
                        taken.add(message);
                    }
                    public void stateChanged(CuratorFramework framework, org.apache.curator.framework.state.ConnectionState state) {}
                };
                DistributedQueue<String> queue = QueueBuilder.builder(client, consumer, TEXT, path).buildQueue();
                queue.start();
                long deadline = System.currentTimeMillis() + 60_000;
                while (taken.size() < expected && System.currentTimeMillis() < deadline) Thread.sleep(20);
                queue.close();
                StringBuilder items = new StringBuilder();
                for (String item : taken) items.append(items.length() == 0 ? "" : ",").append('"').append(item).append('"');
                step("taken", "\"items\":[" + items + "]");
                return;
            }
            case "group": {
                // id payload holdMs: joins, waits, prints the members it sees
                GroupMember member = new GroupMember(client, path, args[3], args[4].getBytes(StandardCharsets.UTF_8));
                member.start();
                step("joined");
                hold(args[5]);
                StringBuilder members = new StringBuilder();
                for (java.util.Map.Entry<String, byte[]> entry : new java.util.TreeMap<>(member.getCurrentMembers()).entrySet()) {
                    members.append(members.length() == 0 ? "" : ",").append("[\"").append(entry.getKey()).append("\",\"").append(new String(entry.getValue(), StandardCharsets.UTF_8)).append("\"]");
                }
                step("members", "\"members\":[" + members + "]");
                member.close();
                return;
            }
            case "cache-watch": {
                // expected timeoutMs: prints the paths CuratorCache reports created or changed, until `expected` of them
                java.util.List<String> seen = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
                CuratorCache cache = CuratorCache.build(client, path);
                cache.listenable().addListener(CuratorCacheListener.builder()
                    .forCreates(node -> seen.add("created " + node.getPath() + "=" + new String(node.getData(), StandardCharsets.UTF_8)))
                    .forChanges((before, after) -> seen.add("changed " + after.getPath() + "=" + new String(after.getData(), StandardCharsets.UTF_8)))
                    .forDeletes(node -> seen.add("deleted " + node.getPath()))
                    .build());
                cache.start();
                step("watching");
                int expected = Integer.parseInt(args[3]);
                long deadline = System.currentTimeMillis() + Long.parseLong(args[4]);
                while (seen.size() < expected && System.currentTimeMillis() < deadline) Thread.sleep(20);
                cache.close();
                StringBuilder events = new StringBuilder();
                for (String event : seen) events.append(events.length() == 0 ? "" : ",").append('"').append(event).append('"');
                step("seen", "\"events\":[" + events + "]");
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
