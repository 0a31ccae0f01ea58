import { it } from 'vitest';
import { TestCluster } from '../support/cluster.ts';

it('scratch', async () => {
  const cluster = await TestCluster.start({ nodes: 2, balancing: 'roundrobin' });
  try {
    await cluster.redis.stop();
    await new Promise((r) => setTimeout(r, 3000));
    for (const n of cluster.nodes) console.log(JSON.stringify((await n.health()).redis));
    await cluster.redis.resume();
    const t = Date.now();
    for (let i = 0; i < 20; i++) {
      await new Promise((r) => setTimeout(r, 500));
      console.log(
        Date.now() - t,
        (await Promise.all(cluster.nodes.map((n) => n.health()))).map((h) => h.redis).join(','),
      );
    }
    for (const n of cluster.nodes) console.log(n.id, n.output.join('\n'));
  } finally {
    await cluster.dispose();
  }
}, 40000);
