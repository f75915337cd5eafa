import type { Command } from "commander";
import { z } from "zod";
import { registerConsolidateCommand } from "./consolidate-command.js";
import { registerMturkCommands } from "./mturk/command.js";
import { DEFAULTS, ServeOptions, StoreOptions, parseOptions, storePath } from "./options.js";
import { registerScreenCommand } from "./screen/command.js";
import { loadVerifyDataset } from "./dataset.js";
import { startVerifyServer } from "./serve.js";
import { openStore } from "./store.js";
import { issueToken, listAnnotators, revokeToken } from "./tokens.js";

/** Registers `d3s verify serve|tokens|consolidate|screen|export-mturk|import-mturk`. */
export function registerVerifyCommands(program: Command): void {
  const verify = program
    .command("verify")
    .description("verify generated images with people: web app, MTurk round trip, screening, consolidation");
  registerServeCommand(verify);
  registerTokensCommand(verify);
  registerScreenCommand(verify);
  registerMturkCommands(verify);
  registerConsolidateCommand(verify);
}

/** Adds `--data` and `--db`, which every verify command takes. */
export function storeFlags(command: Command): Command {
  return command
    .requiredOption("--data <dir>", "split folder with metadata.json and the images")
    .option("--db <file>", "SQLite vote store (default <data>/verify.sqlite)");
}

function registerServeCommand(verify: Command): void {
  storeFlags(verify.command("serve"))
    .description("serve the verification page to annotators with token links")
    .option("--foregrounds <dir>", "class example photos, one sub-folder per class (wnid, index or name)")
    .option("--gold <file>", "CSV id,present,unsafe of gold images with known answers")
    .option("--votes <n>", `votes per image from different annotators (default ${DEFAULTS.votes})`)
    .option("--gold-per-batch <n>", `gold images mixed into each batch (default ${DEFAULTS.goldPerBatch})`)
    .option("--reserve-minutes <n>", `minutes an open batch keeps its images (default ${DEFAULTS.reserveMinutes})`)
    .option("--order <order>", `queue order: dataset or likely-failure (default ${DEFAULTS.order})`)
    .option("--skip-clear", "leave images the screens flag at their thresholds out of the queue")
    .option("--nsfw-threshold <p>", `NSFW probability that counts as flagged (default ${DEFAULTS.nsfwThreshold})`)
    .option("--clip-threshold <s>", `CLIP similarity below which the object counts as missing (default ${DEFAULTS.clipThreshold})`)
    .option("--host <host>", `interface to bind (default ${DEFAULTS.host}, loopback only)`)
    .option("--port <port>", `TCP port, 0 for any free port (default ${DEFAULTS.port})`)
    .option("--max-body-bytes <n>", `largest request body accepted (default ${DEFAULTS.maxBodyBytes})`)
    .action(async (raw: Record<string, unknown>) => {
      const options = parseOptions(ServeOptions, raw);
      const running = await startVerifyServer(options);
      process.stdout.write(`Serving ${options.data} at ${running.url}\n`);
      const urlFlag = running.url === `http://${DEFAULTS.host}:${DEFAULTS.port}/` ? "" : ` --url ${running.url}`;
      process.stdout.write(`Create annotator links with: d3s verify tokens --data ${options.data}${urlFlag} --add NAME\n`);
      await new Promise<void>((resolve) => {
        const stop = () => void running.close().then(resolve);
        process.once("SIGINT", stop);
        process.once("SIGTERM", stop);
      });
    });
}

const TokensOptions = StoreOptions.extend({
  add: z.array(z.string()).default([]),
  revoke: z.array(z.string()).default([]),
  url: z.string().url().default(`http://${DEFAULTS.host}:${DEFAULTS.port}/`),
});

function registerTokensCommand(verify: Command): void {
  storeFlags(verify.command("tokens"))
    .description(
      "create or revoke annotator links (a token is shown once and stored hashed); " +
        "without --add or --revoke, list the annotators",
    )
    .option("--add <names...>", "annotator names to create (or renew) links for")
    .option("--revoke <names...>", "annotator names whose links stop working")
    .option("--url <url>", `base URL of the server (default http://${DEFAULTS.host}:${DEFAULTS.port}/)`)
    .action(async (raw: Record<string, unknown>) => {
      // 1. Check the split folder as serve does, so a mistyped --data creates no vote store.
      const options = parseOptions(TokensOptions, raw);
      await loadVerifyDataset(options.data);

      // 2. Issue and revoke links, or list the annotators when neither flag is given.
      const db = openStore(storePath(options));
      try {
        for (const name of options.add) {
          const token = issueToken(db, name);
          process.stdout.write(`${name}\t${new URL(`#token=${token}`, options.url).href}\n`);
        }
        for (const name of options.revoke) {
          const found = revokeToken(db, name);
          process.stdout.write(`${name}\t${found ? "revoked" : "not found"}\n`);
        }
        if (options.add.length === 0 && options.revoke.length === 0) printAnnotators(db);
      } finally {
        db.close();
      }
    });
}

function printAnnotators(db: ReturnType<typeof openStore>): void {
  const annotators = listAnnotators(db);
  if (annotators.length === 0) {
    process.stdout.write("No annotators yet. Create a link with --add NAME.\n");
    return;
  }
  process.stdout.write("name\tsource\tlink\tcreated\n");
  for (const annotator of annotators) {
    // MTurk workers never get a link; a web annotator without a token had it revoked.
    let link = "none";
    if (annotator.hasToken) link = "active";
    else if (annotator.source === "web") link = "revoked";
    process.stdout.write(`${annotator.id}\t${annotator.source}\t${link}\t${annotator.createdAt.toISOString()}\n`);
  }
  process.stdout.write("Links are shown only when created; renew one with --add NAME.\n");
}
