import { Router } from "express";

import type { Catalog } from "../catalog.js";
import { errors } from "../errors.js";
import { toProductJson } from "../schemas.js";
import type { ShopStore } from "../store/shop-store.js";
import { refuseOtherMethods } from "./method-not-allowed.js";

export function productRoutes(catalog: Catalog, store: Pick<ShopStore, "stock">): Router {
  const router = Router();

  router.get("/api/products", async (_req, res) => {
    res.json({ products: catalog.withStock(await store.stock()).map(toProductJson) });
  });

  router.get("/api/products/:product", async (req, res) => {
    const product = catalog.find(req.params.product);
    if (!product) {
      throw errors.notFound(
        `No product matches '${req.params.product.slice(0, 100)}'; GET /api/products lists them`,
      );
    }
    const stock = (await store.stock()).get(product.id) ?? 0;
    res.json(toProductJson({ ...product, stock }));
  });

  refuseOtherMethods(router, "/api/products", ["GET"]);
  refuseOtherMethods(router, "/api/products/:product", ["GET"]);

  return router;
}
