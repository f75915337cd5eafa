import { join } from "node:path";
import { decodeMask, decodePhoto, type DecodedPhoto } from "../images/decode.js";

/**
 * Decodes photos and masks once while consecutive items reuse them (the plan lists each
 * foreground's variants together). Failures are cached too, so a bad file costs one decode.
 */
export class PhotoCache {
  private readonly photos = new Map<string, Promise<DecodedPhoto>>();

  constructor(private readonly capacity = 64) {}

  /** Decodes `root/relative`, or returns the cached result. */
  photo(root: string, relative: string): Promise<DecodedPhoto> {
    const path = join(root, relative);
    let entry = this.photos.get(path);
    if (entry === undefined) {
      entry = decodePhoto(path, relative);
      // Keeps a rejected promise from raising an unhandled-rejection warning while cached.
      entry.catch(() => undefined);
      this.photos.set(path, entry);
      if (this.photos.size > this.capacity) {
        this.photos.delete(this.photos.keys().next().value as string);
      }
    }
    return entry;
  }

  /** Decodes the mask of a decoded photo, oriented and sized like it. Masks are not cached. */
  async mask(root: string, relative: string, photo: DecodedPhoto): Promise<Uint8Array> {
    const { width, height } = photo.image;
    return decodeMask(
      join(root, relative),
      { width, height, orientation: photo.orientation },
      relative,
    );
  }
}
