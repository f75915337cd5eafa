import type { AddressInfo } from "node:net";
import type { Server } from "node:http";
import { UserError } from "../core/errors.js";
import { logger } from "../core/log.js";
import { imagenetClasses } from "../data/imagenet.js";
import { loadClassDetails } from "./classes.js";
import { loadVerifyDataset } from "./dataset.js";
import { readGoldCsv } from "./gold.js";
import { storePath, type ServeOptions } from "./options.js";
import { queueOrder } from "./queue.js";
import { createVerifyServer } from "./server.js";
import { openStore, writeGold } from "./store.js";

/** A running verification server. */
export interface RunningServer {
  /** Base URL, for example `http://127.0.0.1:8080/`. */
  url: string;
  server: Server;
  /** Stops accepting requests, waits for open ones and closes the store. */
  close(): Promise<void>;
}

/** Loads the split and the store, then serves the verification page until closed. */
export async function startVerifyServer(options: ServeOptions): Promise<RunningServer> {
  // 1. Load the split, the class details and the gold answers, then the store.
  const dataset = await loadVerifyDataset(options.data);
  const classes = await loadClassDetails(dataset, imagenetClasses(), options.foregrounds);
  const gold = options.gold === undefined ? [] : await readGoldCsv(options.gold, dataset);
  const db = openStore(storePath(options));

  // 2. Store the gold answers and order the queue by the stored screen scores.
  writeGold(db, gold);
  const queue = queueOrder(db, [...dataset.items.keys()], options);

  // 3. Listen on the requested interface.
  const server = await createVerifyServer({
    db,
    dataset,
    classes,
    queue,
    queueOptions: options,
    maxBodyBytes: options.maxBodyBytes,
  });
  try {
    await listen(server, options.port, options.host);
  } catch (error) {
    db.close();
    throw listenError(error as NodeJS.ErrnoException, options);
  }
  const address = server.address() as AddressInfo;
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  const url = `http://${host}:${address.port}/`;
  logger().info({ url, images: dataset.items.size, queued: queue.length }, "verify server started");
  if (!isLoopback(options.host)) {
    logger().warn({ host: options.host }, "verify server listens beyond loopback; put it behind HTTPS");
  }
  return {
    url,
    server,
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      await closed;
      db.close();
      logger().info({ url }, "verify server stopped");
    },
  };
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
}

/** Turns the usual listen failures into messages that name the flag to change. */
function listenError(error: NodeJS.ErrnoException, options: ServeOptions): Error {
  const address = `${options.host}:${options.port}`;
  if (error.code === "EADDRINUSE") {
    return new UserError(`Port ${options.port} on ${options.host} is in use: pass another --port, or --port 0 for a free one.`);
  }
  if (error.code === "EADDRNOTAVAIL" || error.code === "ENOTFOUND") {
    return new UserError(`Cannot listen on ${address}: --host ${options.host} is not an address of this machine.`);
  }
  if (error.code === "EACCES") {
    return new UserError(`Cannot listen on ${address}: ports below 1024 need privileges; pass a --port above 1023.`);
  }
  return error;
}

function isLoopback(host: string): boolean {
  return host === "127.0.0.1" || host === "::1" || host === "localhost";
}
