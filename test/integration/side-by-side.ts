// A real ZooKeeper 3.8 and a Cairn server started together with the same zoo.cfg lines, for
// differential tests: whichever started is stopped again if the other did not.

import { removeDir, startServerProcess, type ServerProcess } from './harness.js';
import { startZooKeeper, type ZooKeeperProcess } from './zookeeper-process.js';

export interface SideBySide {
  zookeeper: ZooKeeperProcess;
  cairn: ServerProcess;
  /** Stops both and removes Cairn's data directory. */
  stop(): Promise<void>;
}

export async function startSideBySide(config: Record<string, string | number | boolean>): Promise<SideBySide> {
  const [zookeeper, cairn] = await Promise.allSettled([startZooKeeper({ config }), startServerProcess({ config })]);
  const stop = async () => {
    await Promise.all([zookeeper.status === 'fulfilled' ? zookeeper.value.stop() : undefined, cairn.status === 'fulfilled' ? cairn.value.stop() : undefined]);
    if (cairn.status === 'fulfilled') await removeDir(cairn.value.dataDir);
  };
  if (zookeeper.status === 'rejected' || cairn.status === 'rejected') {
    await stop();
    throw zookeeper.status === 'rejected' ? zookeeper.reason : (cairn as PromiseRejectedResult).reason;
  }
  return { zookeeper: zookeeper.value, cairn: cairn.value, stop };
}
