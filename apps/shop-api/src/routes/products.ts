import { Router } from "express";

import type { Catalog } from "../catalog.js";
import { errors } from "../errors.js";
import { toProductJson } from "../schemas.js";

export function productRoutes(catalog: Catalog): Router {
  const router = Router();

  router.get("/api/products", (_req, res) => {
    res.json({ products: catalog.list().map(toProductJson) });
  });

  router.get("/api/products/:product", (req, res) => {
    const product = catalog.find(req.params.product);
    if (!product) {
      throw errors.notFound(
        `No product matches '${req.params.product.slice(0, 100)}'; GET /api/products lists them`,
      );
    }
    res.json(toProductJson(product));
  });

  return router;
}
