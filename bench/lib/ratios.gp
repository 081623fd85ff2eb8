# Bar chart of the system benchmark's ratios to `direct` (ratios.dat from report.py).
#   gnuplot -e "data='ratios.dat'; out='benchmarks.png'" ratios.gp
set terminal pngcairo size 1100,520 font ",10" noenhanced
set output out
set title "xlb benchmark: each system relative to direct routing in the same run (1.0 = direct)"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set grid ytics
set yrange [0:*]
set ylabel "ratio to direct (throughput: higher is better; latency: lower is better)"
set key outside right top vertical
set xtics scale 0
set arrow from graph 0, first 1 to graph 1, first 1 nohead dt 2 lw 1.5 lc rgb "black" front
columns = system("head -1 " . data . " | wc -w") + 0
plot for [i = 2:columns] data using i:xtic(1) title columnheader(i)
