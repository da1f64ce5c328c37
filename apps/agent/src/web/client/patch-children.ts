/**
 * Makes `parent`'s children show what `next` shows, changing only what differs: a node of the
 * same kind in the same place is kept and given the new attributes and text. The page renders
 * the whole chat again on every update (several a second while a purchase waits); replacing
 * its elements would take the focus off a link the person is on and have a screen reader read
 * each purchase's card (a live region of its own) again at each update.
 */
export function patchChildren(parent: ParentNode, next: readonly Node[]): void {
  next.forEach((node, index) => {
    const current = parent.childNodes[index];
    if (current === undefined) parent.append(node);
    else patchNode(current, node);
  });
  while (parent.childNodes.length > next.length) parent.lastChild?.remove();
}

function patchNode(current: Node, next: Node): void {
  if (current.nodeName !== next.nodeName) {
    current.parentNode?.replaceChild(next, current);
    return;
  }
  if (current instanceof CharacterData) {
    if (current.data !== (next as CharacterData).data) current.data = (next as CharacterData).data;
    return;
  }
  if (current instanceof Element && next instanceof Element) {
    for (const name of current.getAttributeNames()) {
      if (!next.hasAttribute(name)) current.removeAttribute(name);
    }
    for (const name of next.getAttributeNames()) {
      const value = next.getAttribute(name) ?? "";
      if (current.getAttribute(name) !== value) current.setAttribute(name, value);
    }
    patchChildren(current, [...next.childNodes]);
  }
}
