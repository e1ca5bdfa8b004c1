"""Make the README's two small pictures from outputs the tools already write.

    scnn-inpaint --demo -o demo.png
    python docs/readme_pictures.py before-after demo.png          # -> docs/before-after.png
    python docs/readme_pictures.py objects docs/eval-objects.png  # -> docs/quality-objects.jpg

``before-after`` puts the right half of the bundled photo (the space-shuttle model) beside the same
half of the demo's fill. ``objects`` cuts the 1:1 rows of three photos out of the object-removal sheet
that ``scnn-eval`` writes (by default its 2nd, 6th and 7th photos: the fig bowl, the rock, the nuthatch), under the
sheet's own column titles. Rerun it after ``scnn-eval`` redraws the sheet; check the rows still show
those photos (the sheet orders photos by how much structure their truth has).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

DOCS = Path(__file__).resolve().parent
SAMPLE = DOCS.parent / "scnn_plugin" / "samples" / "astronaut.jpg"
SHEET_HEADER = 18  # px of column titles above the first row of scnn-eval's object sheet
SHEET_ROW = 192  # px per row; each photo has a 1:1 row, then a 2x row


def before_after(demo: Path, out: Path) -> None:
    """The right half of the sample photo before and after the demo's fill, side by side, labelled."""
    before = Image.open(SAMPLE).convert("RGB")
    after = Image.open(demo).convert("RGB")
    if before.size != after.size:
        raise ValueError(f"{demo} is {after.size}, the sample photo {before.size}")
    w, h = before.size
    box = (w // 2, 0, w, h * 5 // 8)  # the shuttle model and the table it stands on
    crops = [before.crop(box), after.crop(box)]
    cw, ch = crops[0].size
    label = 20
    sheet = Image.new("RGB", (2 * cw + 8, ch + label), "white")
    draw = ImageDraw.Draw(sheet)
    font = ImageFont.load_default(size=15)
    for i, (crop, text) in enumerate(zip(crops, ("before", "after"))):
        sheet.paste(crop, (i * (cw + 8), label))
        draw.text((i * (cw + 8) + 4, 2), text, fill="black", font=font)
    sheet.save(out, optimize=True)


def objects(sheet_path: Path, out: Path, photos: list[int]) -> None:
    """Rows ``photos`` (0-based photo numbers) of the object sheet at 1:1, under its title row."""
    sheet = Image.open(sheet_path).convert("RGB")
    width = sheet.width
    parts = [sheet.crop((0, 0, width, SHEET_HEADER))]
    for p in photos:
        top = SHEET_HEADER + p * 2 * SHEET_ROW
        parts.append(sheet.crop((0, top, width, top + SHEET_ROW)))
    picture = Image.new("RGB", (width, sum(part.height for part in parts)), "white")
    y = 0
    for part in parts:
        picture.paste(part, (0, y))
        y += part.height
    picture.save(out, quality=85, optimize=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="what", required=True)
    ba = sub.add_parser("before-after", help="the demo's fill beside the sample photo")
    ba.add_argument("demo", type=Path, help="the PNG that scnn-inpaint --demo wrote")
    ba.add_argument("-o", "--out", type=Path, default=DOCS / "before-after.png")
    ob = sub.add_parser("objects", help="three rows of scnn-eval's object-removal sheet")
    ob.add_argument("sheet", type=Path, help="the eval-objects.png that scnn-eval wrote")
    ob.add_argument("--photos", type=int, nargs="+", default=[1, 5, 6], help="0-based photo rows")
    ob.add_argument("-o", "--out", type=Path, default=DOCS / "quality-objects.jpg")
    args = parser.parse_args()
    if args.what == "before-after":
        before_after(args.demo, args.out)
    else:
        objects(args.sheet, args.out, args.photos)
    print(args.out)


if __name__ == "__main__":
    main()
