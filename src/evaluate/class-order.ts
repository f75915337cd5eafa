import { UserError } from "../core/errors.js";
import { classByWnid } from "../data/imagenet.js";

/** A class folder of an ImageFolder set and the label index its images get. */
export interface ClassFolder {
  folder: string;
  label: number;
}

const WNID = /^n\d{8}$/;
// A number, optionally followed by `_name` or `-name` (ImageNet-9 uses `00_dog`).
const NUMERIC = /^(\d+)(?:[_-].*)?$/;

/**
 * Assigns label indices to ImageFolder class folders. WordNet-id folders (`n01440764`) get
 * their ImageNet-1k index. Numeric folders (`7`, `00_dog`) get their number, so they sort
 * numerically (`2` before `10`), unlike torchvision's lexicographic ImageFolder order. Mixed or
 * other names are rejected, because their order would be a guess.
 */
export function classFolderLabels(folders: string[]): ClassFolder[] {
  if (folders.length === 0) {
    throw new UserError("The folder has no class sub-folders. Expected ROOT/<class>/<image>.");
  }
  if (folders.every((folder) => WNID.test(folder))) {
    return folders.sort().map((folder) => {
      const info = classByWnid(folder);
      if (info === undefined) {
        throw new UserError(`Folder ${folder} is not an ImageNet-1k WordNet id. Remove it or rename it.`);
      }
      return { folder, label: info.index };
    });
  }
  if (folders.every((folder) => NUMERIC.test(folder))) {
    const labelled = folders.map((folder) => ({
      folder,
      label: Number(NUMERIC.exec(folder)![1]),
    }));
    labelled.sort((a, b) => a.label - b.label);
    for (let i = 1; i < labelled.length; i++) {
      if (labelled[i].label === labelled[i - 1].label) {
        throw new UserError(
          `Folders ${labelled[i - 1].folder} and ${labelled[i].folder} give the same label ` +
            `${labelled[i].label}. Give each class folder its own number.`,
        );
      }
    }
    return labelled;
  }
  const examples = folders.filter((f) => !WNID.test(f) && !NUMERIC.test(f)).slice(0, 3);
  throw new UserError(
    `Cannot tell the class index of folders ${examples.join(", ")}. Name class folders by ` +
      `WordNet id (n01440764) or by number (0, 1, ... or 00_dog).`,
  );
}
