package experiments

import (
	"bytes"
	"fmt"
	"image/color"
	"math"
	"sort"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"
)

// PlotSVG draws an experiment's rows. A figure (every x a number, as Fig.
// 3's core counts) becomes one line per machine and series, with the
// paper's curve dashed beside it where there is one. A table (x a pair
// class or empty) becomes a calibration plot: measured against the paper's
// number for every row that has one, with the line y = x; rows without a
// paper number (held out) are left off. It returns nil when there is
// nothing to draw.
func PlotSVG(title string, rows []Row) ([]byte, error) {
	if len(rows) == 0 {
		return nil, nil
	}
	p := plot.New()
	p.Title.Text = title
	p.Legend.Top = true
	p.Legend.Left = true
	numeric := true
	for _, r := range rows {
		if _, err := strconv.ParseFloat(r.X, 64); err != nil {
			numeric = false
			break
		}
	}
	var err error
	drawn := true
	if numeric {
		err = plotFigure(p, rows)
	} else {
		drawn, err = plotCalibration(p, rows)
	}
	if err != nil || !drawn {
		return nil, err
	}
	c := vgsvg.New(16*vg.Centimeter, 11*vg.Centimeter)
	p.Draw(draw.New(c))
	var buf bytes.Buffer
	if _, err := c.WriteTo(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

var palette = []color.Color{
	color.RGBA{0x1f, 0x77, 0xb4, 255}, color.RGBA{0xff, 0x7f, 0x0e, 255}, color.RGBA{0x2c, 0xa0, 0x2c, 255},
	color.RGBA{0xd6, 0x27, 0x28, 255}, color.RGBA{0x94, 0x67, 0xbd, 255}, color.RGBA{0x8c, 0x56, 0x4b, 255},
	color.RGBA{0xe3, 0x77, 0xc2, 255}, color.RGBA{0x7f, 0x7f, 0x7f, 255},
}

func plotFigure(p *plot.Plot, rows []Row) error {
	type key struct{ machine, series string }
	var keys []key
	pts := map[key]plotter.XYs{}
	paper := map[key]plotter.XYs{}
	for _, r := range rows {
		k := key{r.Machine, r.Series}
		if _, ok := pts[k]; !ok {
			keys = append(keys, k)
		}
		x, _ := strconv.ParseFloat(r.X, 64)
		pts[k] = append(pts[k], plotter.XY{X: x, Y: r.Value})
		if !math.IsNaN(r.Paper) {
			paper[k] = append(paper[k], plotter.XY{X: x, Y: r.Paper})
		}
		p.X.Label.Text = "cores"
		p.Y.Label.Text = r.Unit
	}
	machines := map[string]bool{}
	for _, k := range keys {
		machines[k.machine] = true
	}
	for i, k := range keys {
		name := k.series
		if len(machines) > 1 {
			name = k.machine + " " + k.series
		}
		col := palette[i%len(palette)]
		l, err := plotter.NewLine(sortXY(pts[k]))
		if err != nil {
			return err
		}
		l.Color = col
		l.Width = vg.Points(1.5)
		p.Add(l)
		p.Legend.Add(name, l)
		if pp := paper[k]; len(pp) > 0 {
			d, err := plotter.NewLine(sortXY(pp))
			if err != nil {
				return err
			}
			d.Color = col
			d.Dashes = []vg.Length{vg.Points(3), vg.Points(3)}
			p.Add(d)
		}
	}
	p.Title.Text += " (dashed: paper)"
	return nil
}

func plotCalibration(p *plot.Plot, rows []Row) (bool, error) {
	byUnit := map[string]plotter.XYs{}
	var units []string
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, r := range rows {
		if math.IsNaN(r.Paper) || r.Paper <= 0 {
			continue
		}
		if _, ok := byUnit[r.Unit]; !ok {
			units = append(units, r.Unit)
		}
		byUnit[r.Unit] = append(byUnit[r.Unit], plotter.XY{X: r.Paper, Y: r.Value})
		lo, hi = math.Min(lo, math.Min(r.Paper, r.Value)), math.Max(hi, math.Max(r.Paper, r.Value))
	}
	if len(units) == 0 {
		return false, nil
	}
	p.X.Label.Text = "paper"
	p.Y.Label.Text = "measured"
	p.X.Scale, p.Y.Scale = plot.LogScale{}, plot.LogScale{}
	p.X.Tick.Marker, p.Y.Tick.Marker = plot.LogTicks{}, plot.LogTicks{}
	ref, err := plotter.NewLine(plotter.XYs{{X: lo * 0.8, Y: lo * 0.8}, {X: hi * 1.25, Y: hi * 1.25}})
	if err != nil {
		return false, err
	}
	ref.Color = color.Gray{Y: 160}
	p.Add(ref)
	for i, u := range units {
		s, err := plotter.NewScatter(byUnit[u])
		if err != nil {
			return false, err
		}
		s.Color = palette[i%len(palette)]
		s.Shape = draw.CircleGlyph{}
		p.Add(s)
		p.Legend.Add(fmt.Sprintf("%s (%d rows)", u, len(byUnit[u])), s)
	}
	return true, nil
}

func sortXY(xy plotter.XYs) plotter.XYs {
	out := append(plotter.XYs(nil), xy...)
	sort.SliceStable(out, func(i, j int) bool { return out[i].X < out[j].X })
	return out
}
