/**
 * A small builder for self-contained HTML reports: no scripts, no external files, every text
 * escaped. Markup built here is wrapped in `Html` so it is never escaped twice, while plain
 * strings and numbers are always escaped.
 */

/** Markup that is already safe to insert; build it only through this module and charts.ts. */
export class Html {
  constructor(readonly markup: string) {}

  toString(): string {
    return this.markup;
  }
}

/** A value that may appear in a template: text and numbers are escaped, Html is inserted as is. */
export type Content = Html | string | number | readonly Content[] | null | undefined;

const ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

/** Escapes text for use in HTML or SVG text and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => ESCAPES[character]);
}

/** Renders content to markup, escaping everything that is not Html; arrays are concatenated. */
export function render(content: Content): string {
  if (content === null || content === undefined) return "";
  if (content instanceof Html) return content.markup;
  if (Array.isArray(content)) return content.map(render).join("");
  return escapeHtml(String(content));
}

/**
 * Tagged template for markup: `html\`<p>${text}</p>\`` escapes `text` unless it is Html.
 * The literal parts of the template are trusted markup.
 */
export function html(strings: TemplateStringsArray, ...values: Content[]): Html {
  let markup = strings[0];
  for (let i = 0; i < values.length; i++) markup += render(values[i]) + strings[i + 1];
  return new Html(markup);
}

/** Options of table. */
export interface TableOptions {
  /** Column headings. */
  columns: readonly string[];
  /** Cells, one array per row; numbers are printed as given, so round them first. */
  rows: readonly (readonly Content[])[];
  /** Optional caption shown above the table. */
  caption?: string;
}

/** Builds an HTML table; numeric cells are right-aligned. */
export function table(options: TableOptions): Html {
  const head = options.columns.map((column) => html`<th>${column}</th>`);
  const body = options.rows.map((row) => {
    const cells = row.map((cell) =>
      typeof cell === "number" ? html`<td class="number">${cell}</td>` : html`<td>${cell}</td>`,
    );
    return html`<tr>
      ${cells}
    </tr>`;
  });
  const caption =
    options.caption === undefined
      ? ""
      : html`<caption>
          ${options.caption}
        </caption>`;
  return html`<table>
    ${caption}
    <thead>
      <tr>
        ${head}
      </tr>
    </thead>
    <tbody>
      ${body}
    </tbody>
  </table>`;
}

/** One section of a report page: a heading and its content. */
export interface Section {
  title: string;
  content: Content;
}

/** Options of page. */
export interface PageOptions {
  /** Page title and top heading. */
  title: string;
  /** A line under the title, for example the command and the date. */
  subtitle?: string;
  sections: readonly Section[];
}

const STYLE = `
body { font: 15px/1.45 system-ui, sans-serif; color: #1d1d1f; max-width: 1100px; margin: 2em auto; padding: 0 1em; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; }
h2 { font-size: 1.25em; margin-top: 2em; border-bottom: 1px solid #ddd; padding-bottom: 0.2em; }
.subtitle { color: #666; margin-top: 0; }
table { border-collapse: collapse; margin: 0.8em 0; }
caption { text-align: left; font-weight: 600; padding-bottom: 0.3em; }
th, td { border: 1px solid #ddd; padding: 0.3em 0.7em; }
th { background: #f4f4f6; text-align: left; }
td.number { text-align: right; font-variant-numeric: tabular-nums; }
figure { margin: 1em 0; }
figcaption { color: #555; font-size: 0.9em; }
svg text { font: 12px system-ui, sans-serif; fill: #333; }
`;

/** Builds a complete, self-contained HTML document (inline CSS, no scripts). */
export function page(options: PageOptions): string {
  const sections = options.sections.map(
    (section) =>
      html`<section>
        <h2>${section.title}</h2>
        ${section.content}
      </section>`,
  );
  const subtitle =
    options.subtitle === undefined ? "" : html`<p class="subtitle">${options.subtitle}</p>`;
  const document = html`<!DOCTYPE html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>${options.title}</title>
        <style>
          ${new Html(STYLE)}
        </style>
      </head>
      <body>
        <h1>${options.title}</h1>
        ${subtitle} ${sections}
      </body>
    </html> `;
  return document.markup;
}

/** Wraps content in a figure with a caption. */
export function figure(content: Content, caption: string): Html {
  return html`<figure>
    ${content}
    <figcaption>${caption}</figcaption>
  </figure>`;
}

/** A paragraph of escaped text. */
export function paragraph(text: string): Html {
  return html`<p>${text}</p>`;
}
