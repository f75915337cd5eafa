import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createConnection } from "node:net";

/** A Redis server for a test: the one in D3S_REDIS_URL, or one started on a free port. */
export interface TestRedis {
  url: string;
  stop(): Promise<void>;
}

/**
 * Returns the Redis of D3S_REDIS_URL (set by .ci/run), or starts `redis-server` on loopback.
 * Returns undefined when neither exists, so the caller can skip with a message.
 */
export async function startTestRedis(): Promise<TestRedis | undefined> {
  const fromEnvironment = process.env.D3S_REDIS_URL;
  if (fromEnvironment !== undefined && fromEnvironment !== "") {
    return { url: fromEnvironment, stop: async () => undefined };
  }
  if (spawnSync("redis-server", ["--version"]).status !== 0) return undefined;
  const port = 20000 + Math.floor(Math.random() * 20000);
  const server: ChildProcess = spawn(
    "redis-server",
    ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
    { stdio: "ignore" },
  );
  await waitForPort(port);
  return {
    url: `redis://127.0.0.1:${port}`,
    stop: async () => {
      server.kill("SIGTERM");
      await new Promise((resolve) => server.once("exit", resolve));
    },
  };
}

async function waitForPort(port: number): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = createConnection({ host: "127.0.0.1", port }, () => {
        socket.end();
        resolve(true);
      });
      socket.on("error", () => resolve(false));
    });
    if (open) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`redis-server did not open port ${port} within 5 s`);
}
