// What both pages show of a request's `authorization_details` (RFC 9396): the approver page's
// cards and the email consent page.

export function formatAmount(value, currency) {
  if (typeof value !== "number") return "";
  try {
    return new Intl.NumberFormat(undefined, { style: "currency", currency }).format(value);
  } catch {
    return `${value} ${currency ?? ""}`.trim();
  }
}

function cell(text, className) {
  const td = document.createElement("td");
  td.textContent = text;
  if (className) td.className = className;
  return td;
}

/** The entries as a table; purchases get named columns, other types their raw members. */
export function detailsTable(details) {
  const table = document.createElement("table");
  const caption = document.createElement("caption");
  caption.textContent = "What you approve";
  table.append(caption);
  const head = document.createElement("tr");
  for (const title of ["Product", "Quantity", "Up to", "Currency"]) {
    const th = document.createElement("th");
    th.scope = "col";
    th.textContent = title;
    if (title === "Quantity" || title === "Up to") th.className = "number";
    head.append(th);
  }
  table.append(head);
  for (const entry of details) {
    const row = document.createElement("tr");
    if (entry.type === "product_purchase") {
      row.append(
        cell(entry.product ?? ""),
        cell(String(entry.quantity ?? ""), "number"),
        cell(formatAmount(entry.maximum_amount, entry.currency) || "—", "number"),
        cell(entry.currency ?? ""),
      );
    } else {
      const other = cell(JSON.stringify(entry));
      other.colSpan = 4;
      row.append(other);
    }
    table.append(row);
  }
  return table;
}
