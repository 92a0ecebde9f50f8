#!/usr/bin/env python3
"""Writes the demo's sample shop: examples/data/catalog.tsv (products over several
categories) and examples/data/orders.csv (orders with real co-purchase patterns).
Deterministic (fixed seed); written for the project. Run: python3 make_sample.py"""
import csv
import os
import random

rnd = random.Random(20261125)
HERE = os.path.dirname(os.path.abspath(__file__))

COLOURS = ["grey", "navy", "oak", "white", "black", "sage green", "terracotta", "walnut"]
FAMILIES = {
    "Furniture > Living room": [
        ("{c} 3-seater fabric sofa", "Deep-seat three-seater sofa with removable, washable covers and oak legs.", 499, 899),
        ("{c} 2-seater loveseat for small spaces", "Compact two-seat sofa sized for studios and small apartments.", 329, 549),
        ("{c} corner sofa bed with storage", "L-shaped sofa that opens into a double bed, with a storage chaise.", 799, 1299),
        ("{c} velvet armchair", "Comfy upholstered armchair with a high back and padded arms.", 199, 349),
        ("{c} coffee table", "Low rectangular coffee table with a lower shelf for magazines.", 89, 229),
        ("{c} TV stand for 65 inch TV", "Media unit with cable management and two drawers, holds up to 65 inch screens.", 129, 279),
    ],
    "Furniture > Bedroom": [
        ("{c} double bed frame", "Solid wood double bed frame, slatted base, no box spring needed.", 249, 499),
        ("memory foam mattress, double, medium firm", "Seven-zone memory foam mattress with a breathable cover.", 299, 599),
        ("{c} bedside table with drawer", "Nightstand with one drawer and an open shelf.", 49, 119),
        ("{c} 6-drawer chest", "Wide chest of drawers with soft-close runners.", 179, 329),
    ],
    "Home > Textiles": [
        ("{c} cushion cover 45x45 cm", "Cotton cushion cover with a hidden zip.", 9, 19),
        ("{c} chunky knit throw blanket", "Soft knitted throw for the sofa, 130x170 cm.", 29, 59),
        ("{c} cotton duvet cover set, double", "Percale duvet cover with two pillowcases.", 39, 79),
        ("{c} blackout curtains, pair", "Thermal lined curtains that block 99% of light.", 35, 69),
        ("{c} wool rug 160x230 cm", "Hand-tufted wool area rug for the living room.", 149, 299),
    ],
    "Kitchen > Coffee & tea": [
        ("espresso machine with milk frother", "15-bar pump espresso maker with steam wand for cappuccino.", 149, 399),
        ("burr coffee grinder", "Conical burr grinder with 30 grind settings.", 59, 149),
        ("{c} ceramic coffee mug 350 ml", "Stoneware mug, dishwasher and microwave safe.", 7, 15),
        ("ground coffee, medium roast, 1 kg", "Arabica blend for filter and French press.", 12, 24),
        ("paper coffee filters size 4, 100 pack", "Unbleached filters for drip coffee makers.", 3, 6),
        ("electric kettle 1.7 L", "Fast-boil kettle with temperature control for tea.", 29, 79),
    ],
    "Kitchen > Cookware": [
        ("non-stick frying pan 28 cm", "Induction-ready pan with a PFOA-free coating.", 25, 59),
        ("cast iron casserole dish 5 L", "Enamelled Dutch oven for stews and bread.", 59, 149),
        ("stainless steel saucepan set, 3 pieces", "Saucepans with glass lids, oven safe to 200 °C.", 49, 119),
        ("chef's knife 20 cm", "Forged steel chef's knife with a full tang.", 35, 99),
        ("bamboo cutting board", "Large reversible chopping board with a juice groove.", 15, 35),
    ],
    "Electronics > Audio": [
        ("wireless noise cancelling headphones", "Over-ear Bluetooth headphones with 30 h battery.", 99, 299),
        ("portable bluetooth speaker, waterproof", "IP67 speaker with 12 h playtime.", 39, 129),
        ("soundbar for TV with subwoofer", "2.1 channel soundbar with HDMI ARC.", 149, 349),
        ("true wireless earbuds", "In-ear earbuds with charging case and ANC.", 49, 179),
    ],
    "Electronics > Accessories": [
        ("USB-C charger 65 W", "GaN wall charger for laptops and phones.", 25, 49),
        ("HDMI 2.1 cable 2 m", "8K/60 Hz braided HDMI cable.", 9, 19),
        ("wall mount bracket for 32-65 inch TV", "Tilting TV wall bracket, VESA up to 400x400.", 25, 59),
        ("smart LED bulb E27, 2 pack", "Dimmable colour bulbs that work with voice assistants.", 19, 39),
    ],
    "Garden > Outdoor living": [
        ("{c} garden bench, 2-seater", "Weatherproof acacia wood bench.", 99, 199),
        ("folding patio table and 2 chairs", "Bistro set for balconies, powder-coated steel.", 79, 169),
        ("solar garden lights, 8 pack", "Stake lights that charge by day and light up at dusk.", 19, 39),
        ("garden hose 25 m with spray gun", "Kink-resistant hose with 7 spray patterns.", 25, 49),
        ("charcoal barbecue grill", "Kettle barbecue with lid and thermometer.", 69, 199),
    ],
}

def main():
    products = []
    n = 0
    for cat, fams in FAMILIES.items():
        brand_pool = {"Furniture": ["Nordhem", "Oakfield"], "Home": ["Casaverde", "Nordhem"],
                      "Kitchen": ["Kitchenette", "Brightline"], "Electronics": ["Soundwell", "Brightline"],
                      "Garden": ["Greenyard", "Oakfield"]}[cat.split(" >")[0]]
        for title, desc, lo, hi in fams:
            variants = COLOURS if "{c}" in title else [None] * 5
            for c in variants:
                n += 1
                t = title.format(c=c) if c else title
                if c is None:
                    t = "%s %s" % (rnd.choice(["Classic", "Pro", "Everyday", "Compact", "Premium"]), t)
                price = round(rnd.uniform(lo, hi), 2)
                products.append({
                    "product_id": "SKU-%04d" % n, "title": t[0].upper() + t[1:], "description": desc,
                    "category": cat, "brand": rnd.choice(brand_pool), "price": "%.2f" % price,
                    "in_stock": "1" if rnd.random() > 0.1 else "0"})
    with open(os.path.join(HERE, "catalog.tsv"), "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(products[0]), delimiter="\t", lineterminator="\n",
                           quoting=csv.QUOTE_NONE, escapechar="\\")
        w.writeheader()
        w.writerows(products)
    by_word = lambda word: [p["product_id"] for p in products if word in p["title"].lower()]
    bundles = [by_word("sofa") + by_word("loveseat"), by_word("cushion") + by_word("throw"),
               by_word("espresso") + by_word("grinder"), by_word("mug") + by_word("ground coffee"),
               by_word("filters"), by_word("bed frame"), by_word("mattress") + by_word("duvet"),
               by_word("soundbar") + by_word("tv stand"), by_word("hdmi") + by_word("wall mount"),
               by_word("barbecue"), by_word("patio") + by_word("solar")]
    pairs = [(0, 1), (2, 3), (2, 4), (3, 4), (5, 6), (7, 8), (9, 10)]
    rows = []
    for o in range(1, 1501):
        a, b = rnd.choice(pairs)
        items = {rnd.choice(bundles[a]), rnd.choice(bundles[b])}
        if rnd.random() < 0.4:
            items.add(rnd.choice(products)["product_id"])
        day = 1 + o % 28
        for pid in sorted(items):
            price = next(p["price"] for p in products if p["product_id"] == pid)
            rows.append(["ORD%05d" % o, pid, rnd.choice([1, 1, 1, 2]), price,
                         "2026-%02d-%02dT12:00" % (1 + o % 10, day), "C%04d" % rnd.randint(1, 400)])
    with open(os.path.join(HERE, "orders.csv"), "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["order_id", "product_id", "quantity", "price", "date", "customer_id"])
        w.writerows(rows)
    print("%d products, %d order lines" % (len(products), len(rows)))

if __name__ == "__main__":
    main()
