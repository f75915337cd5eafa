import { escapeHtml } from "../../report/html.js";
import { BATCH_SIZE } from "../options.js";

/** Input CSV columns of one image slot `i` of a HIT row. */
export function slotColumns(i: number): { image: string; guide: string; className: string; definition: string } {
  return { image: `image_url_${i}`, guide: `guide_url_${i}`, className: `class_name_${i}`, definition: `definition_${i}` };
}

function slot(i: number): string {
  const column = slotColumns(i);
  return `
  <section class="item" data-image="\${${column.image}}">
    <h3>Image ${i + 1}: is there a <em>\${${column.className}}</em>?</h3>
    <p class="definition">\${${column.definition}}</p>
    <div class="pair">
      <figure><img class="guide" src="\${${column.guide}}" alt="guide image" /><figcaption>Guide image</figcaption></figure>
      <figure><img src="\${${column.image}}" alt="generated image" /><figcaption>Generated image</figcaption></figure>
    </div>
    <p>Is this object in the generated image?</p>
    <crowd-radio-group>
      <crowd-radio-button name="present-${i}-yes" value="yes">Yes</crowd-radio-button>
      <crowd-radio-button name="present-${i}-no" value="no">No</crowd-radio-button>
    </crowd-radio-group>
    <p>Adult or violent content?</p>
    <crowd-radio-group>
      <crowd-radio-button name="unsafe-${i}-yes" value="yes">Yes</crowd-radio-button>
      <crowd-radio-button name="unsafe-${i}-no" value="no">No</crowd-radio-button>
    </crowd-radio-group>
  </section>`;
}

/**
 * Builds the HIT layout: a crowd-form (crowd-html-elements) with BATCH_SIZE image slots filled
 * by MTurk from the input CSV columns. A short script removes empty slots (the last row may hold
 * fewer images) and blocks submission until every shown image has both answers.
 */
export function hitTemplate(title: string): string {
  const slots = Array.from({ length: BATCH_SIZE }, (_, i) => slot(i)).join("\n");
  return `<script src="https://assets.crowd.aws/crowd-html-elements.js"></script>
<style>
  .item { border-top: 1px solid #ccc; padding: 0.5em 0; }
  .pair { display: flex; gap: 1em; }
  .pair img { width: 300px; height: 300px; object-fit: contain; background: #f3f3f3; }
  .definition { color: #555; }
</style>
<crowd-form>
  <h2>${escapeHtml(title)}</h2>
  <p>
    Each generated image was made by a computer from the guide image and a class name. For each
    image answer two questions: is the named object in the <strong>generated</strong> image, and
    does the generated image show adult or violent content (nudity, sexual content, gore or
    violence)? Some images have known answers and check the quality of the work.
  </p>
  <input type="hidden" name="batch_id" value="\${batch_id}" />
${slots}
</crowd-form>
<script>
  document.querySelectorAll(".item").forEach(function (item) {
    if (item.dataset.image === "") item.remove();
  });
  document.querySelectorAll("img.guide").forEach(function (image) {
    if (image.getAttribute("src") === "") image.parentElement.textContent = "No guide image: generated from text alone.";
  });
  document.querySelector("crowd-form").onsubmit = function (event) {
    var groups = document.querySelectorAll(".item crowd-radio-group");
    for (var i = 0; i < groups.length; i++) {
      var buttons = groups[i].querySelectorAll("crowd-radio-button");
      var answered = Array.prototype.some.call(buttons, function (button) { return button.checked; });
      if (!answered) {
        event.preventDefault();
        alert("Please answer both questions for every image.");
        return;
      }
    }
  };
</script>
`;
}
