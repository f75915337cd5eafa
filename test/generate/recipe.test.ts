import assert from "node:assert/strict";
import { test } from "node:test";
import { BACKGROUNDS } from "../../src/data/backgrounds.js";
import {
  builtInRecipeNames,
  expandRecipe,
  loadRecipe,
  parseRecipe,
  renderTemplate,
} from "../../src/generate/recipe.js";

test("built-in recipes load", async () => {
  assert.deepEqual(await builtInRecipeNames(), [
    "background-shift",
    "geography-shift",
    "photo-background",
    "time-shift",
  ]);
  for (const name of await builtInRecipeNames()) {
    const recipe = await loadRecipe(name);
    assert.equal(recipe.shift, name);
  }
});

test("background-shift has ten backgrounds", async () => {
  const recipe = await loadRecipe("background-shift");
  assert.deepEqual(
    recipe.options.background,
    BACKGROUNDS.map((background) => background.phrase),
  );
  const variants = expandRecipe(recipe);
  assert.equal(variants.length, 10);
  const prompt = renderTemplate(variants[6].template, {
    ...variants[6].values,
    class_name: "goldfish",
    definition: "small golden fish",
  });
  assert.equal(prompt, "a photo of a goldfish, small golden fish, in snow");
});

test("geography and time option lists", async () => {
  const geography = await loadRecipe("geography-shift");
  assert.deepEqual(geography.options.geography, [
    "Chile",
    "India",
    "Russia",
    "Brazil",
    "Japan",
    "China",
    "Egypt",
    "Saudi Arabia",
    "Ethiopia",
    "Nigeria",
  ]);
  const time = await loadRecipe("time-shift");
  assert.deepEqual(time.options.year, ["1800", "1900", "1950", "1990", "2050", "2200"]);
  const photo = await loadRecipe("photo-background");
  assert.equal(photo.templates[0], "a photo of a ${class_name} ${background}");
});

test("expansion crosses templates and options", () => {
  const recipe = parseRecipe(
    [
      "shift: mix",
      "templates:",
      '  - "${class_name} ${background} ${year}"',
      '  - "old ${class_name} ${background} ${year}"',
      "options:",
      "  background: [on grass, in snow]",
      "  year: [1900, 2050, 2200]",
    ].join("\n"),
    "mix.yaml",
  );
  const variants = expandRecipe(recipe);
  // 2 templates x 2 backgrounds x 3 years; numbers in YAML become strings.
  assert.equal(variants.length, 12);
  assert.deepEqual(variants[1].values, { background: "on grass", year: "2050" });
  assert.equal(variants[11].template, "old ${class_name} ${background} ${year}");
});

test("unknown placeholder names line", () => {
  const text = ["shift: x", "templates:", '  - "a ${class_name}"', '  - "a ${colour}"'].join("\n");
  assert.throws(
    () => parseRecipe(text, "x.yaml"),
    /x\.yaml line 4: key "templates\.1" uses \$\{colour\}/,
  );
});

test("bad option value names line", () => {
  const text = [
    "shift: x",
    "templates:",
    '  - "a ${class_name} ${background}"',
    "options:",
    "  background:",
    "    - on grass",
    "    - {nested: map}",
  ].join("\n");
  assert.throws(() => parseRecipe(text, "x.yaml"), /x\.yaml line 7: key "options\.background\.1"/);
});

test("unused option and missing key", () => {
  const unused = ["shift: x", 'templates: ["${class_name}"]', "options:", "  year: [1900]"];
  assert.throws(
    () => parseRecipe(unused.join("\n"), "u.yaml"),
    /u\.yaml line 4: key "options\.year" is used by no template/,
  );
  assert.throws(() => parseRecipe("shift: x\n", "m.yaml"), /m\.yaml line 1: key "templates"/);
  assert.throws(
    () => parseRecipe('shift: Bad Name\ntemplates: ["a"]\n', "s.yaml"),
    /s\.yaml line 1: key "shift"/,
  );
});

test("YAML syntax error names line", () => {
  const text = ["shift: x", "templates:", '  - "unclosed', "options: {}"].join("\n");
  assert.throws(() => parseRecipe(text, "y.yaml"), /Invalid recipe y\.yaml line \d+/);
});

test("unknown recipe name lists choices", async () => {
  await assert.rejects(
    loadRecipe("colour-shift"),
    /Unknown recipe "colour-shift". Use one of background-shift/,
  );
});
