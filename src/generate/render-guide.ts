import { Random } from "../core/rng.js";
import type { RgbImage } from "../images/decode.js";
import type { Box } from "../images/resize.js";
import { composeGuide, pasteInto, squareMask, squareResize } from "./guide.js";
import type { MaskModel } from "./mask-model.js";
import type { PhotoCache } from "./photo-cache.js";
import type { PlanItem } from "./plan.js";

/** Folders and settings needed to draw an item's guide image. */
export interface GuideContext {
  foregrounds: string;
  backgrounds: string;
  masks?: string;
  maskModel?: MaskModel;
  photos: PhotoCache;
  size: number;
  fgScale: number;
}

/** A drawn guide (or ImageNet-9-style variant) and the box of the pasted foreground. */
export interface RenderedGuide {
  image: RgbImage;
  box: Box;
}

/**
 * Draws an item's image before diffusion: the guide composite, the masked foreground on black
 * (only-fg) or the masked full-frame foreground on a random background (mixed-rand). The paste
 * position comes from the item seed, so it is the same on every machine and restart.
 */
export async function renderGuide(item: PlanItem, context: GuideContext): Promise<RenderedGuide> {
  const foreground = await context.photos.photo(context.foregrounds, item.foreground);
  const mask = await loadMask(item, foreground, context);
  const random = new Random(`${item.seed}/guide`);
  if (item.kind === "only-fg") {
    const size = context.size;
    const black = { data: new Uint8Array(size * size * 3), width: size, height: size };
    const patch = await squareResize(foreground.image, size);
    const box = { x: 0, y: 0, width: size, height: size };
    const patchMask =
      mask === undefined ? undefined : await squareMask(mask, foreground.image, size);
    pasteInto(black, patch, box, patchMask);
    return { image: black, box };
  }
  const background = await context.photos.photo(context.backgrounds, item.background as string);
  const fgScale = item.kind === "mixed-rand" ? 1 : context.fgScale;
  return composeGuide({
    background: background.image,
    foreground: foreground.image,
    mask,
    size: context.size,
    fgScale,
    random,
  });
}

async function loadMask(
  item: PlanItem,
  foreground: Awaited<ReturnType<PhotoCache["photo"]>>,
  context: GuideContext,
): Promise<Uint8Array | undefined> {
  if (item.mask === undefined) return undefined;
  if (item.mask === "model" && context.maskModel !== undefined) {
    return context.maskModel.predict(foreground.image);
  }
  return context.photos.mask(context.masks as string, item.mask, foreground);
}
