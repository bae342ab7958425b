// A scripted session through ZooKeeper's own Java client library (the stock client, unchanged),
// run against a real ZooKeeper and against Cairn by the differential tests and the captures.
// Prints one JSON line per step: results with Stat fields other than times and zxids, error
// codes, and the watch events delivered since the previous step, in order.
//
// Run: java -cp /usr/share/java/zookeeper.jar ScriptedSession.java HOST:PORT

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.zookeeper.AddWatchMode;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.Op;
import org.apache.zookeeper.OpResult;
import org.apache.zookeeper.WatchedEvent;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.ZooKeeper;
import org.apache.zookeeper.data.ACL;
import org.apache.zookeeper.data.ClientInfo;
import org.apache.zookeeper.data.Id;
import org.apache.zookeeper.data.Stat;

public class ScriptedSession {
    interface Step {
        String run() throws Exception;
    }

    private static final List<String> events = new ArrayList<>();
    private static ZooKeeper zk;
    private static long sessionId;

    public static void main(String[] args) throws Exception {
        String connect = args[0];
        CountDownLatch connected = new CountDownLatch(1);
        Watcher defaultWatcher = event -> {
            if (event.getType() == Watcher.Event.EventType.None) {
                if (event.getState() == Watcher.Event.KeeperState.SyncConnected) connected.countDown();
                return;
            }
            record("default", event);
        };
        zk = new ZooKeeper(connect, 30000, defaultWatcher);
        if (!connected.await(20, TimeUnit.SECONDS)) throw new IllegalStateException("not connected");
        sessionId = zk.getSessionId();
        byte[] one = bytes("one");
        List<ACL> open = ZooDefs.Ids.OPEN_ACL_UNSAFE;

        step("create", () -> zk.create("/d", one, open, CreateMode.PERSISTENT));
        step("create2", () -> {
            Stat stat = new Stat();
            String path = zk.create("/d/c2", bytes("c2"), open, CreateMode.PERSISTENT, stat);
            return path + " " + stat(stat);
        });
        step("ephemeralSequential", () -> zk.create("/d/e-", null, open, CreateMode.EPHEMERAL_SEQUENTIAL) + " " + zk.create("/d/e-", null, open, CreateMode.EPHEMERAL_SEQUENTIAL));
        step("persistentSequential", () -> zk.create("/d/s-", bytes(""), open, CreateMode.PERSISTENT_SEQUENTIAL));
        step("container", () -> zk.create("/d/box", null, open, CreateMode.CONTAINER) + " " + zk.create("/d/box/x", null, open, CreateMode.PERSISTENT));
        step("ttl", () -> {
            Stat stat = new Stat();
            return zk.create("/d/ttl", bytes("t"), open, CreateMode.PERSISTENT_WITH_TTL, stat, 60000) + " " + stat(stat);
        });
        step("createExisting", () -> zk.create("/d", one, open, CreateMode.PERSISTENT));
        step("createNoParent", () -> zk.create("/nope/x", one, open, CreateMode.PERSISTENT));
        step("createUnderEphemeral", () -> zk.create(zk.getChildren("/d", false).stream().filter(c -> c.startsWith("e-")).sorted().findFirst().map(c -> "/d/" + c + "/x").orElseThrow(), null, open, CreateMode.PERSISTENT));
        step("getDataWatch", () -> {
            Stat stat = new Stat();
            return text(zk.getData("/d", true, stat)) + " " + stat(stat);
        });
        step("setData", () -> stat(zk.setData("/d", bytes("two"), 0)));
        step("setDataBadVersion", () -> stat(zk.setData("/d", bytes("x"), 7)));
        step("existsWatch", () -> stat(zk.exists("/d", true)) + " " + stat(zk.exists("/missing", true)));
        step("createWatched", () -> zk.create("/missing", null, open, CreateMode.PERSISTENT));
        step("getChildrenWatch", () -> sorted(zk.getChildren("/d", true)).toString());
        step("getChildren2", () -> {
            Stat stat = new Stat();
            return sorted(zk.getChildren("/d", false, stat)) + " " + stat(stat);
        });
        step("childChanged", () -> zk.create("/d/new", null, open, CreateMode.PERSISTENT));
        step("getAllChildrenNumber", () -> String.valueOf(zk.getAllChildrenNumber("/d")) + " " + zk.getAllChildrenNumber("/"));
        step("getEphemerals", () -> sorted(zk.getEphemerals("/d")) + " " + sorted(zk.getEphemerals()));
        step("getACL", () -> acl(zk.getACL("/d", new Stat())));
        step("setACL", () -> {
            List<ACL> acl = new ArrayList<>();
            acl.add(new ACL(ZooDefs.Perms.READ, new Id("world", "anyone")));
            acl.add(new ACL(ZooDefs.Perms.ALL, new Id("digest", "bob:" + "Xb0FYDKFs3Wn8lL8Rg6qVx7YW2s=")));
            return stat(zk.setACL("/d/c2", acl, 0));
        });
        step("getACLRedacted", () -> acl(zk.getACL("/d/c2", new Stat())));
        step("setDataNoAuth", () -> stat(zk.setData("/d/c2", bytes("x"), -1)));
        step("addAuth", () -> {
            zk.addAuthInfo("digest", bytes("bob:secret"));
            return "ok";
        });
        step("getACLAdmin", () -> acl(zk.getACL("/d/c2", new Stat())));
        step("setDataAuthorised", () -> stat(zk.setData("/d/c2", bytes("y"), -1)));
        step("authAcl", () -> zk.create("/d/mine", null, ZooDefs.Ids.CREATOR_ALL_ACL, CreateMode.PERSISTENT) + " " + acl(zk.getACL("/d/mine", new Stat())));
        step("sync", () -> {
            CountDownLatch done = new CountDownLatch(1);
            String[] result = new String[1];
            zk.sync("/d", (rc, path, ctx) -> {
                result[0] = rc + " " + path;
                done.countDown();
            }, null);
            done.await(10, TimeUnit.SECONDS);
            return result[0];
        });
        step("multi", () -> results(zk.multi(Arrays.asList(
            Op.create("/m1", bytes("m"), open, CreateMode.PERSISTENT),
            Op.create("/m2", bytes("m"), open, CreateMode.PERSISTENT_SEQUENTIAL),
            Op.setData("/d", bytes("three"), 1),
            Op.check("/d", 2),
            Op.delete("/m1", 0)))));
        step("multiFailing", () -> {
            try {
                zk.multi(Arrays.asList(
                    Op.create("/m3", null, open, CreateMode.PERSISTENT),
                    Op.check("/d", 99),
                    Op.setData("/d", bytes("no"), -1)));
                return "committed";
            } catch (KeeperException e) {
                return e.code() + " " + results(e.getResults());
            }
        });
        step("multiRead", () -> results(zk.multi(Arrays.asList(
            Op.getData("/d"),
            Op.getChildren("/d/box"),
            Op.getData("/nope")))));
        step("addWatchPersistent", () -> {
            zk.addWatch("/w", AddWatchMode.PERSISTENT);
            zk.create("/w", null, open, CreateMode.PERSISTENT);
            zk.setData("/w", bytes("1"), -1);
            zk.create("/w/x", null, open, CreateMode.PERSISTENT);
            zk.delete("/w/x", -1);
            zk.delete("/w", -1);
            return "ok";
        });
        step("addWatchRecursive", () -> {
            zk.addWatch("/r", AddWatchMode.PERSISTENT_RECURSIVE);
            zk.create("/r", null, open, CreateMode.PERSISTENT);
            zk.create("/r/a", null, open, CreateMode.PERSISTENT);
            zk.create("/r/a/b", null, open, CreateMode.PERSISTENT);
            zk.setData("/r/a/b", bytes("1"), -1);
            zk.delete("/r/a/b", -1);
            return "ok";
        });
        step("removeAllWatches", () -> {
            zk.removeAllWatches("/r", Watcher.WatcherType.Any, false);
            zk.create("/r/after", null, open, CreateMode.PERSISTENT);
            return "ok";
        });
        step("removeAllWatchesNone", () -> {
            zk.removeAllWatches("/nothing", Watcher.WatcherType.Any, false);
            return "ok";
        });
        step("checkWatches", () -> {
            Watcher mine = event -> record("mine", event);
            zk.exists("/cw", mine);
            zk.removeWatches("/cw", mine, Watcher.WatcherType.Data, false);
            zk.create("/cw", null, open, CreateMode.PERSISTENT);
            return "ok";
        });
        step("whoAmI", () -> {
            List<String> out = new ArrayList<>();
            for (ClientInfo info : zk.whoAmI()) out.add(info.getAuthScheme() + ":" + info.getUser());
            // ZooKeeper itself lists a session's identities in varying order.
            return sorted(out).toString();
        });
        step("deleteNotEmpty", () -> {
            zk.delete("/d", -1);
            return "ok";
        });
        step("deleteBadVersion", () -> {
            zk.delete("/missing", 5);
            return "ok";
        });
        step("deleteMissing", () -> {
            zk.delete("/missing/none", -1);
            return "ok";
        });
        step("deleteRoot", () -> {
            zk.delete("/zookeeper", -1);
            return "ok";
        });
        step("deleteEphemeralWatched", () -> {
            String first = sorted(zk.getChildren("/d", false)).stream().filter(c -> c.startsWith("e-")).findFirst().orElseThrow();
            zk.exists("/d/" + first, true);
            zk.delete("/d/" + first, -1);
            return first;
        });
        step("rootStat", () -> stat(zk.exists("/", false)) + " " + stat(zk.exists("/zookeeper", false)) + " " + sorted(zk.getChildren("/", false)));
        zk.close();
        System.out.println("{\"step\":\"closed\"}");
    }

    private static void record(String watcher, WatchedEvent event) {
        synchronized (events) {
            events.add(watcher + ":" + event.getType() + ":" + event.getPath());
        }
    }

    private static void step(String name, Step step) throws Exception {
        String result;
        try {
            result = "ok " + step.run();
        } catch (KeeperException e) {
            result = "error " + e.code();
        }
        // An asynchronous call is answered on the thread that delivers watch events, after every
        // event that arrived before its reply: waiting for it makes the event list deterministic.
        CountDownLatch barrier = new CountDownLatch(1);
        zk.exists("/", false, (rc, path, ctx, stat) -> barrier.countDown(), null);
        barrier.await(10, TimeUnit.SECONDS);
        List<String> seen;
        synchronized (events) {
            seen = new ArrayList<>(events);
            events.clear();
        }
        System.out.println("{\"step\":" + quote(name) + ",\"result\":" + quote(result) + ",\"events\":" + quote(seen.toString()) + "}");
    }

    private static byte[] bytes(String text) {
        return text.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }

    private static String text(byte[] data) {
        return data == null ? "null" : new String(data, java.nio.charset.StandardCharsets.UTF_8);
    }

    private static List<String> sorted(List<String> items) {
        List<String> copy = new ArrayList<>(items);
        copy.sort(null);
        return copy;
    }

    /** Stat without times and zxids; the owner shown relative to this session. */
    private static String stat(Stat stat) {
        if (stat == null) return "null";
        long owner = stat.getEphemeralOwner();
        String ownerText = owner == 0 ? "0" : owner == sessionId ? "self" : "other";
        return "{v=" + stat.getVersion() + ",cv=" + stat.getCversion() + ",av=" + stat.getAversion() + ",owner=" + ownerText
            + ",len=" + stat.getDataLength() + ",children=" + stat.getNumChildren() + "}";
    }

    private static String acl(List<ACL> acl) {
        List<String> out = new ArrayList<>();
        for (ACL entry : acl) out.add(entry.getPerms() + ":" + entry.getId().getScheme() + ":" + entry.getId().getId());
        return out.toString();
    }

    private static String results(List<OpResult> results) {
        List<String> out = new ArrayList<>();
        for (OpResult result : results) {
            if (result instanceof OpResult.CreateResult) {
                OpResult.CreateResult create = (OpResult.CreateResult) result;
                out.add("create " + create.getPath() + " " + stat(create.getStat()));
            } else if (result instanceof OpResult.SetDataResult) {
                out.add("setData " + stat(((OpResult.SetDataResult) result).getStat()));
            } else if (result instanceof OpResult.GetDataResult) {
                OpResult.GetDataResult get = (OpResult.GetDataResult) result;
                out.add("getData " + text(get.getData()) + " " + stat(get.getStat()));
            } else if (result instanceof OpResult.GetChildrenResult) {
                out.add("getChildren " + sorted(((OpResult.GetChildrenResult) result).getChildren()));
            } else if (result instanceof OpResult.ErrorResult) {
                out.add("error " + ((OpResult.ErrorResult) result).getErr());
            } else {
                out.add(result.getClass().getSimpleName());
            }
        }
        return out.toString();
    }

    private static String quote(String text) {
        StringBuilder out = new StringBuilder("\"");
        for (char c : text.toCharArray()) {
            if (c == '"' || c == '\\') out.append('\\').append(c);
            else if (c < 0x20) out.append(String.format("\\u%04x", (int) c));
            else out.append(c);
        }
        return out.append('"').toString();
    }
}
