import type { ort } from "../../onnx/session.js";
import type { AdamState, NamedTensor } from "./adam-state.js";
import { openGraphSession } from "./graph-session.js";

/**
 * The part shared by the engine's trainers: the parameters and Adam moments in an AdamState,
 * which a checkpoint treats as the optimizer, and the ONNX Runtime sessions built so far, one
 * per graph shape.
 */
export abstract class GraphTrainer {
  private readonly sessions = new Map<string, Promise<ort.InferenceSession>>();

  constructor(
    readonly state: AdamState,
    private readonly threads: number | undefined,
  ) {}

  /** Writes the current parameters into their TensorFlow.js variables. */
  pushParameters(): void {
    this.state.push();
  }

  /** Returns the optimizer state in tf.AdamOptimizer.getWeights() layout, for checkpoints. */
  getWeights(): Promise<NamedTensor[]> {
    return this.state.getWeights();
  }

  /** Restores optimizer state; the next run reloads parameters and moments from TF.js. */
  setWeights(weights: NamedTensor[]): Promise<void> {
    return this.state.setWeights(weights);
  }

  /** Frees the sessions. */
  async dispose(): Promise<void> {
    for (const session of this.sessions.values()) await (await session).release();
    this.sessions.clear();
  }

  /** Returns the session stored under `key`, opening it on the graph `build` returns the first time. */
  protected cachedSession(key: string, build: () => Uint8Array): Promise<ort.InferenceSession> {
    let session = this.sessions.get(key);
    if (session === undefined) {
      session = openGraphSession(build(), this.threads);
      this.sessions.set(key, session);
    }
    return session;
  }
}
