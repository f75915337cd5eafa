import { tf } from "./backend.js";
import type { Random } from "../core/rng.js";

/** Named trainable tensors of one network, in creation order (the order they are saved in). */
export class Parameters {
  readonly variables = new Map<string, tf.Variable>();

  /** Adds a variable drawn from U(-limit, limit), limit = sqrt(6 / (fanIn + fanOut)) (Glorot). */
  glorot(name: string, shape: number[], fanIn: number, fanOut: number, random: Random): tf.Variable {
    const limit = Math.sqrt(6 / (fanIn + fanOut));
    const size = shape.reduce((a, b) => a * b, 1);
    const values = new Float32Array(size);
    for (let i = 0; i < size; i++) values[i] = (2 * random.uniform() - 1) * limit;
    return this.add(name, tf.tensor(values, shape));
  }

  /** Adds a zero-initialised variable (biases). */
  zeros(name: string, shape: number[]): tf.Variable {
    return this.add(name, tf.zeros(shape));
  }

  /** Returns a variable by name; throws when it is missing, which means a corrupt saved model. */
  get(name: string): tf.Variable {
    const variable = this.variables.get(name);
    if (variable === undefined) throw new Error(`Parameter ${name} is missing.`);
    return variable;
  }

  /** Returns the variables as a list, for optimizers and gradients. */
  list(): tf.Variable[] {
    return [...this.variables.values()];
  }

  /** Returns every value, for saving: names, shapes and one Float32Array each. */
  snapshot(): Array<{ name: string; shape: number[]; values: Float32Array }> {
    return [...this.variables].map(([name, variable]) => ({
      name,
      shape: variable.shape,
      values: variable.dataSync() as Float32Array,
    }));
  }

  /** Overwrites values from a snapshot; names and shapes must match. */
  restore(entries: Array<{ name: string; shape: number[]; values: Float32Array }>): void {
    for (const entry of entries) {
      const variable = this.get(entry.name);
      if (variable.shape.join() !== entry.shape.join()) {
        throw new Error(
          `Parameter ${entry.name} has shape [${entry.shape}] in the file but [${variable.shape}] in the model.`,
        );
      }
      variable.assign(tf.tensor(entry.values, entry.shape));
    }
  }

  /** Frees every variable. */
  dispose(): void {
    for (const variable of this.variables.values()) variable.dispose();
    this.variables.clear();
  }

  private add(name: string, initial: tf.Tensor): tf.Variable {
    if (this.variables.has(name)) throw new Error(`Parameter ${name} is defined twice.`);
    const variable = tf.variable(initial, true, `${name}_${nextId++}`);
    initial.dispose();
    this.variables.set(name, variable);
    return variable;
  }
}

// TensorFlow.js variable names must be unique per process, so each gets a counter suffix.
let nextId = 0;
